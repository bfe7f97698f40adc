// A module resolve hook: loading anything from @tensorflow fails the process loudly.
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.includes('@tensorflow')) {
    throw new Error(`tfjs loaded: ${resolved.url} (imported as ${specifier} from ${context.parentURL})`);
  }
  return resolved;
}
