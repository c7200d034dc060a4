/** What the stack's files depend on in the host itself: the iGPU's render node and the render group. */
import { RENDER_NODE } from './templates/jellyfin.ts';
import type { Quicksync } from './settings.ts';

export interface HostGpu {
  /** The host has /dev/dri/renderD128 (the iGPU reached the VM). */
  renderNode: boolean;
  /** GID of the host's `render` group, else of the render node's group; undefined without either. */
  renderGid: number | undefined;
}

/** Prints "render-gid=N" and "render-node-gid=N" lines (each only when there is one). */
export const GPU_PROBE = [
  `g=$(getent group render | cut -d: -f3); [ -n "$g" ] && echo "render-gid=$g"`,
  `if [ -c ${RENDER_NODE} ]; then echo "render-node-gid=$(stat -c %g ${RENDER_NODE})"; fi`,
  'true',
].join('\n');

export function parseGpu(stdout: string): HostGpu {
  const value = (key: string) => {
    const m = new RegExp(`^${key}=(\\d+)$`, 'm').exec(stdout);
    return m ? Number(m[1]) : undefined;
  };
  const nodeGid = value('render-node-gid');
  return { renderNode: nodeGid !== undefined, renderGid: value('render-gid') ?? nodeGid };
}

/** Whether a service gets the iGPU under its quicksync setting; `true` without a render node is an error. */
export function useGpu(setting: Quicksync | string, gpu: HostGpu, variable: string, host: string): boolean {
  if (setting === 'false') return false;
  if (setting === 'true' && !gpu.renderNode) {
    throw new Error(`${variable} is true but ${host} has no ${RENDER_NODE}: give the VM the iGPU (role vm-services) and reboot it, or set ${variable}: auto`);
  }
  return gpu.renderNode;
}
