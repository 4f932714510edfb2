// placeholder while the ESXi shell piece is being built
export async function start() { return {}; }
export async function stop() {}
