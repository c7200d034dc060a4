export const defaults = {
  igpu_mode: 'gvt-g',
  igpu_blacklist_i915: false,
  proxmox_repo_url: 'http://download.proxmox.com/debian/pve',
  remove_subscription_notice: false,
  node_exporter_listen: '',
  reboot_timeout_seconds: 600,
};

export const docs = {
  igpu_mode: {
    description:
      'How VMs get the Intel iGPU: gvt-g (default: a mediated GVT-g device, the host keeps its console; kernel options intel_iommu=on iommu=pt i915.enable_gvt=1, modules kvmgt and vfio), passthrough (the whole iGPU to one VM: intel_iommu=on iommu=pt, vfio modules) or none (the role adds no kernel option and removes its own module/GRUB files). Takes effect after a reboot.',
  },
  igpu_blacklist_i915: {
    description: 'With igpu_mode passthrough only: keep the host driver i915 off the iGPU (blacklist i915), so vfio-pci can take it. The host loses its local console. Default false.',
  },
  proxmox_repo_url: {
    description: 'The Proxmox VE package repository the no-subscription source points at (default http://download.proxmox.com/debian/pve); set it to a mirror if the host cannot reach download.proxmox.com.',
  },
  remove_subscription_notice: {
    description:
      'Patch the web UI so it does not show the "No valid subscription" notice at login (proxmoxlib.js). Package updates of proxmox-widget-toolkit undo it; the next run of the role applies it again. Default false.',
  },
  node_exporter_listen: {
    description:
      "The address node-exporter (port 9100) listens on. Default: the host's LAN address, found on the host as the source address of its default route (on Proxmox: vmbr0's address), or its only global IPv4 address when it has no default route.",
  },
  reboot_timeout_seconds: {
    description: 'With --reboot: how long to wait for the host to answer SSH again after rebooting it.',
  },
};

export const IGPU_MODES = ['gvt-g', 'passthrough', 'none'] as const;
export type IgpuMode = (typeof IGPU_MODES)[number];
