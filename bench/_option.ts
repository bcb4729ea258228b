// The `--name=value` arguments of the benchmarks that take them without parseArgs.

/** looks up `--name=value` in `args`: the value, or undefined when it is not given */
export const optionIn =
  (args: readonly string[]) =>
  (name: string): string | undefined =>
    args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
