"""One Adam step of the compact preset (audio + video) in PyTorch, for `pnpm bench:torch`.

The same network as @mtl/models' `compact` preset, layer by layer: the same shapes,
TensorFlow-style 'same' padding (the extra pad after, never before), zeroing past each
clip's length before every waveform conv, the video CNN on valid frames only (padded
frames get zero features), a 2 x 64 LSTM packed by length, dropout 0.3 on each clip's
last valid output, two linear heads, the sum of the two mean cross-entropies, Adam 1e-3.
PyTorch's LSTM has two biases per layer where ours has one: bias_hh is held at zero and
not trained, so the trainable parameters are the same 132,262 (checked below).

Usage: python3 torch_compact_step.py THREADS [BATCH SECONDS STEPS]
Prints one JSON line: {"threads", "parameters", "stepMs": {"median", "min", "max"}, ...}.
"""

import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

SAMPLE_RATE = 16000
FRAME_RATE = 10
SAMPLES_PER_FRAME = SAMPLE_RATE // FRAME_RATE  # 1600
FRAME_SIZE = 32
EXPECTED_PARAMETERS = 132262


def same_pad(size, kernel, stride):
    """TensorFlow's 'same' padding: (before, after), the odd pixel after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    def forward(self, x):
        top, bottom = same_pad(x.shape[2], self.kernel_size[0], self.stride[0])
        left, right = same_pad(x.shape[3], self.kernel_size[1], self.stride[1])
        return super().forward(F.pad(x, (left, right, top, bottom)))


class SameConv1d(nn.Conv1d):
    def forward(self, x):
        return super().forward(F.pad(x, same_pad(x.shape[2], self.kernel_size[0], self.stride[0])))


class ConvBN(nn.Module):
    def __init__(self, cin, cout, kernel, stride, relu):
        super().__init__()
        self.conv = SameConv2d(cin, cout, kernel, stride, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)  # tfjs momentum 0.9 = keep 0.9
        self.relu = relu

    def forward(self, x):
        y = self.bn(self.conv(x))
        return F.relu(y) if self.relu else y


class BasicBlock(nn.Module):
    def __init__(self, cin, filters, stride):
        super().__init__()
        self.conv1 = ConvBN(cin, filters, 3, stride, True)
        self.conv2 = ConvBN(filters, filters, 3, 1, False)
        self.shortcut = ConvBN(cin, filters, 1, stride, False) if stride != 1 or cin != filters else None

    def forward(self, x):
        y = self.conv2(self.conv1(x))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class AudioNet(nn.Module):
    """conv 1->8 k32 s8 + ReLU, max pool 2; conv 8->16 k32 s4 + ReLU; max over channel pairs."""

    def __init__(self):
        super().__init__()
        self.conv1 = SameConv1d(1, 8, 32, 8)
        self.conv2 = SameConv1d(8, 16, 32, 4)

    def forward(self, waveform, lengths):
        batch, samples = waveform.shape
        frames = samples // SAMPLES_PER_FRAME
        x = waveform.unsqueeze(1) * step_mask(lengths, frames, SAMPLES_PER_FRAME)
        x = F.max_pool1d(F.relu(self.conv1(x)), 2)  # [B, 8, 3000]
        x = x * step_mask(lengths, frames, SAMPLES_PER_FRAME // 16)
        x = F.relu(self.conv2(x))  # [B, 16, 750]
        # Channel pool: max over adjacent channel pairs, then 25 steps x 8 channels per frame.
        x = x.view(batch, 8, 2, -1).amax(2)  # [B, 8, 750]
        return x.transpose(1, 2).reshape(batch, frames, 200)


class VideoNet(nn.Module):
    """Stem 3x3 s2 8 + BN + ReLU + max pool 3 s2; basic blocks 16 (s1), 32 (s2); average pool."""

    def __init__(self):
        super().__init__()
        self.stem = ConvBN(3, 8, 3, 2, True)
        self.block1 = BasicBlock(8, 16, 1)
        self.block2 = BasicBlock(16, 32, 2)

    def forward(self, video, lengths):
        batch, frames = video.shape[:2]
        valid = torch.arange(frames).unsqueeze(0) < lengths.unsqueeze(1)  # [B, T]
        images = video[valid].permute(0, 3, 1, 2)  # valid frames only, NCHW
        x = self.stem(images)
        top, bottom = same_pad(x.shape[2], 3, 2)
        x = F.max_pool2d(F.pad(x, (top, bottom, top, bottom), value=-math.inf), 3, 2)
        x = self.block2(self.block1(x)).mean((2, 3))
        out = x.new_zeros(batch, frames, x.shape[1])
        out[valid] = x
        return out


class CompactModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.audio = AudioNet()
        self.video = VideoNet()
        self.lstm = nn.LSTM(232, 64, num_layers=2, batch_first=True)
        for name, p in self.lstm.named_parameters():
            if name.startswith("bias_hh"):
                nn.init.zeros_(p)
                p.requires_grad_(False)
        self.dropout = nn.Dropout(0.3)
        self.emotion = nn.Linear(64, 4)
        self.gender = nn.Linear(64, 2)

    def forward(self, audio, video, lengths):
        fused = torch.cat([self.audio(audio, lengths), self.video(video, lengths)], 2)
        packed = pack_padded_sequence(fused, lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        last = self.dropout(h[-1])  # the top layer's output at each clip's last valid frame
        return self.emotion(last), self.gender(last)


def step_mask(lengths, frames, steps_per_frame):
    steps = torch.arange(frames * steps_per_frame)
    return (steps.unsqueeze(0) < (lengths * steps_per_frame).unsqueeze(1)).float().unsqueeze(1)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 3
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 15
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    frames = round(seconds * FRAME_RATE)
    # The lengths @mtl/models' step-time bench uses: spread over 60-100% of the clip.
    lengths = torch.tensor(
        [max(1, round(frames * (1 - 0.4 * (batch - 1 - i) / max(1, batch - 1)))) for i in range(batch)],
        dtype=torch.int64,
    )
    model = CompactModel()
    parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if parameters != EXPECTED_PARAMETERS:
        raise SystemExit(f"torch model has {parameters} trainable parameters, @mtl/models' compact has 132262")
    audio = torch.randn(batch, frames * SAMPLES_PER_FRAME) * 0.3
    video = torch.rand(batch, frames, FRAME_SIZE, FRAME_SIZE, 3)
    emotion = torch.arange(batch) % 4
    gender = (torch.arange(batch) + 1) % 2
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    model.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        e, g = model(audio, video, lengths)
        loss = F.cross_entropy(e, emotion) + F.cross_entropy(g, gender)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(
        json.dumps(
            {
                "backend": "torch",
                "torch": torch.__version__,
                "threads": threads,
                "batch": batch,
                "framesPerClip": frames,
                "lengths": lengths.tolist(),
                "parameters": parameters,
                "stepMs": {
                    "median": round(times[len(times) // 2], 2),
                    "min": round(times[0], 2),
                    "max": round(times[-1], 2),
                },
                "lastLoss": round(loss, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
