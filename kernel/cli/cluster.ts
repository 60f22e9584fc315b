/** `warren submit | runs | map`: filled in below. */
export async function clusterCommand(command: string, args: string[]): Promise<number> {
  throw new Error(`warren ${command} ${args.join(' ')}: not available`);
}
