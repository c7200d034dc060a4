#!/usr/bin/env python3
# proxmox-boot-tool.py -- a SIMULATOR of Proxmox VE's proxmox-boot-tool (package proxmox-kernel-helper)
# for the media-server-home lab.
#
# THIS IS NOT proxmox-boot-tool. It formats, mounts and installs nothing: the EFI system partitions
# (ESPs) it "manages" are directories under $PVE_SIMULATOR_STATE/esp/<UUID>/ (default
# /var/lib/pve-simulator/esp), standing for /dev/disk/by-uuid/<UUID>. Like the real tool it reads the
# ESP list from /etc/kernel/proxmox-boot-uuids and the kernel command line from /etc/kernel/cmdline
# ($PVE_SIMULATOR_ETC_KERNEL overrides /etc/kernel, for tests), prints what the real tool prints for
# `status` and `refresh`, and on `refresh` writes the systemd-boot loader entries (or, on a GRUB ESP,
# a grub.cfg) the real one would write, so that a role's kernel options can be checked on the
# simulated ESP. Messages and exit codes follow upstream src/bin/proxmox-boot-tool,
# src/proxmox-boot/functions and src/proxmox-boot/zz-proxmox-boot; see README.md beside this file.
#
# Invocation: the wrapper /usr/local/bin/proxmox-boot-tool runs "proxmox-boot-tool.py ARGS...".
# Python 3 stdlib only; it reads the simulated kernel version through pve-simulator.py (same directory).

import importlib.util
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ beside the simulator
_spec = importlib.util.spec_from_file_location('pve_simulator', os.path.join(HERE, 'pve-simulator.py'))
sim = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sim)

ETC_KERNEL = os.environ.get('PVE_SIMULATOR_ETC_KERNEL') or '/etc/kernel'
ETC_DEFAULT = os.environ.get('PVE_SIMULATOR_ETC_DEFAULT') or '/etc/default'
# The messages name the real paths, as the real tool does, whatever the override.
ESP_LIST_NAME = '/etc/kernel/proxmox-boot-uuids'
ESP_LIST = os.path.join(ETC_KERNEL, 'proxmox-boot-uuids')
CMDLINE = os.path.join(ETC_KERNEL, 'cmdline')
ESP_ROOT = os.path.join(sim.STATE_DIR, 'esp')
FIRMWARE = os.path.join(sim.STATE_DIR, 'boot-firmware')
PMX_ESP_DIR = 'EFI/proxmox'
PMX_LOADER_CONF = 'loader/loader.conf'
LOADER_TITLE = 'Proxmox Virtual Environment'
TOOL = '/usr/sbin/proxmox-boot-tool'
VFAT_UUID = re.compile(r'[0-9a-fA-F]{4}-[0-9a-fA-F]{4}')


def out(msg):
    sys.stdout.write(msg + '\n')


def warn(msg):
    sys.stdout.flush()
    sys.stderr.write(msg + '\n')
    sys.stderr.flush()


def simulator_note():
    return ("NOTE: this 'proxmox-boot-tool' is the pve-simulator's SIMULATOR of Proxmox VE's proxmox-boot-tool;\n"
            f"its ESPs are directories under {ESP_ROOT}. See {sim.README}.\n")


def first_line(path):
    """get_first_line: the first line of a file, '' when it does not exist."""
    text = sim.read_file(path, None)
    if text is None:
        return ''
    return text.split('\n', 1)[0]


def esp_uuids():
    text = sim.read_file(ESP_LIST, None)
    if text is None:
        return None
    return [line for line in text.split('\n') if line]


def esp_dir(uuid):
    return os.path.join(ESP_ROOT, uuid)


def booted_with():
    """The firmware the simulated node booted with: 'uefi' (default) or 'legacy bios'."""
    fw = sim.read_file(FIRMWARE, 'uefi').strip()
    return fw if fw in ('uefi', 'legacy bios') else 'uefi'


def kernels():
    """The kernels the simulated node would keep on its ESPs: the simulated running one."""
    return [sim.load_version()['kernel']]


def usable_esps(uuids):
    """loop_esp_list with the checks every subcommand makes: a VFAT UUID, an existing device."""
    for uuid in uuids:
        if not VFAT_UUID.search(uuid):
            warn(f'WARN: {uuid} read from {ESP_LIST_NAME} does not look like a VFAT-UUID - skipping')
            continue
        if not os.path.isdir(esp_dir(uuid)):
            warn(f"WARN: /dev/disk/by-uuid/{uuid} does not exist - clean '{ESP_LIST_NAME}'! - skipping")
            continue
        yield uuid


def status(argv):
    quiet = argv == ['--quiet']
    if argv and not quiet:
        warn(f'  {TOOL} status [--quiet]')
        return 1
    uuids = esp_uuids()
    if not quiet:
        out(f"Re-executing '{TOOL}' in new private mount namespace..")
    if uuids is None:
        if not quiet:
            warn(f'E: {ESP_LIST_NAME} does not exist.')
        return 2
    if quiet:
        return 0
    out(f'System currently booted with {booted_with()}')
    for uuid in usable_esps(uuids):
        esp = esp_dir(uuid)
        result = ''
        if os.path.isfile(os.path.join(esp, PMX_LOADER_CONF)):
            versions = sorted(os.listdir(os.path.join(esp, PMX_ESP_DIR))) if os.path.isdir(os.path.join(esp, PMX_ESP_DIR)) else []
            result = f"uefi (versions: {', '.join(versions)})"
        if os.path.isdir(os.path.join(esp, 'grub')):
            versions = sorted(n[len('vmlinuz-'):] for n in os.listdir(esp) if n.startswith('vmlinuz-'))
            grub = f"grub (versions: {', '.join(versions)})"
            result = f'{result}, {grub}' if result else grub
        out(f'{uuid} is configured with: {result}')
    return 0


def grub_cmdline():
    """What update-grub would put on the `linux` lines: /etc/default/grub, then /etc/default/grub.d/*.cfg,
    sourced by sh like grub-mkconfig does."""
    script = ('[ -f "$1/grub" ] && . "$1/grub"; for f in "$1"/grub.d/*.cfg; do [ -f "$f" ] && . "$f"; done; '
              'printf "%s %s" "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT"')
    res = subprocess.run(['sh', '-c', script, 'sh', ETC_DEFAULT], capture_output=True, text=True)
    if res.returncode != 0:
        raise sim.PveError(f'update-grub (simulated): sourcing {ETC_DEFAULT}/grub failed: {res.stderr.strip()}', 1)
    return ' '.join(res.stdout.split())


def update_esp(uuid, cmdline):
    esp = esp_dir(uuid)
    grub = os.path.isfile(os.path.join(esp, PMX_ESP_DIR, 'grubx64.efi'))
    if booted_with() == 'uefi' and not grub:
        if not os.path.isfile(os.path.join(esp, PMX_LOADER_CONF)):
            warn(f'/dev/disk/by-uuid/{uuid} contains no loader.conf - skipping')
            return
        if not os.path.isdir(os.path.join(esp, PMX_ESP_DIR)):
            warn(f'/dev/disk/by-uuid/{uuid}/{PMX_ESP_DIR} does not exist- skipping')
            return
    elif not os.path.isdir(os.path.join(esp, 'grub')):
        warn(f'/dev/disk/by-uuid/{uuid} contains no grub directory - skipping')
        return
    warn(f'Copying and configuring kernels on /dev/disk/by-uuid/{uuid}')
    entries = os.path.join(esp, 'loader', 'entries')
    for kver in kernels():
        if booted_with() == 'uefi' and not grub:
            warn(f'\tCopying kernel and creating boot-entry for {kver}')
            os.makedirs(os.path.join(esp, PMX_ESP_DIR, kver), exist_ok=True)
            os.makedirs(entries, exist_ok=True)
            with open(os.path.join(entries, f'proxmox-{kver}.conf'), 'w') as fh:
                fh.write(f'title    {LOADER_TITLE}\nversion  {kver}\noptions  {cmdline}\n'
                         f'linux    /{PMX_ESP_DIR}/{kver}/vmlinuz-{kver}\ninitrd   /{PMX_ESP_DIR}/{kver}/initrd.img-{kver}\n')
        else:
            warn(f'\tCopying kernel {kver}')
            open(os.path.join(esp, f'vmlinuz-{kver}'), 'w').close()
            # Upstream binds the ESP on /boot and runs update-grub, which reads /etc/default/grub (not /etc/kernel/cmdline).
            line = grub_cmdline()
            with open(os.path.join(esp, 'grub', 'grub.cfg'), 'w') as fh:
                fh.write('# grub.cfg written by the pve-simulator (a SIMULATOR of update-grub on a Proxmox ESP)\n'
                         f"menuentry '{LOADER_TITLE} GNU/Linux' {{\n"
                         f'\tlinux\t/vmlinuz-{kver} ro {line}\n'
                         f'\tinitrd\t/initrd.img-{kver}\n}}\n')
            out('Generating grub configuration file ...')
            out('done')


def refresh(argv):
    hooks = ['proxmox-auto-removal', 'zz-proxmox-boot']
    if len(argv) == 2 and argv[0] == '--hook':
        if argv[1] not in hooks:
            warn(f"E: '{argv[1]}' is not a valid hook script name.")
            return 1
        hooks = [argv[1]]
    elif argv:
        warn(f'  {TOOL} refresh [--hook <name>]')
        return 1
    for hook in hooks:
        out(f"Running hook script '{hook}'..")
        if hook != 'zz-proxmox-boot':
            continue  # marks kernels as not auto-removable in apt's config: nothing to simulate
        out("Re-executing '/etc/kernel/postinst.d/zz-proxmox-boot' in new private mount namespace..")
        uuids = esp_uuids()
        if uuids is None:
            warn(f'No {ESP_LIST_NAME} found, skipping ESP sync.')
            continue
        if os.path.isfile(CMDLINE):
            cmdline = ' '.join(first_line(CMDLINE).split())
            if 'root=' not in cmdline:
                warn('No root= parameter in /etc/kernel/cmdline found!')
                return 1
        else:
            warn('No /etc/kernel/cmdline found - falling back to /proc/cmdline')
            cmdline = ' '.join(w for w in sim.read_file('/proc/cmdline').split() if not w.startswith('initrd='))
        for uuid in usable_esps(uuids):
            update_esp(uuid, cmdline)
    return 0


def kernel(argv):
    if argv == ['list']:
        out('Manually selected kernels:\nNone.\n\nAutomatically selected kernels:')
        for kver in kernels():
            out(kver)
        return 0
    raise sim.PveError(f"pve-simulator: 'proxmox-boot-tool kernel {' '.join(argv)}' is not simulated (see {sim.README})")


def init_esp(argv):
    """Simulator only (no such subcommand upstream): registers a simulated ESP as `format` + `init` would,
    `uefi` (systemd-boot) or `grub`, then refreshes it. Used by install.sh to set up a node like a fresh
    Proxmox VE installed on ZFS."""
    if len(argv) != 2 or not VFAT_UUID.fullmatch(argv[0]) or argv[1] not in ('uefi', 'grub'):
        warn('usage: proxmox-boot-tool simulator-init-esp <XXXX-XXXX> uefi|grub')
        return 1
    uuid, kind = argv
    esp = esp_dir(uuid)
    os.makedirs(os.path.join(esp, PMX_ESP_DIR), exist_ok=True)
    if kind == 'uefi':
        os.makedirs(os.path.join(esp, 'loader'), exist_ok=True)
        with open(os.path.join(esp, PMX_LOADER_CONF), 'w') as fh:
            fh.write('timeout 3\ndefault proxmox-*\n')
    else:
        os.makedirs(os.path.join(esp, 'grub'), exist_ok=True)
        if booted_with() == 'uefi':
            open(os.path.join(esp, PMX_ESP_DIR, 'grubx64.efi'), 'w').close()
    os.makedirs(ETC_KERNEL, exist_ok=True)
    uuids = esp_uuids() or []
    if uuid not in uuids:
        with open(ESP_LIST, 'w') as fh:
            fh.write(''.join(f'{u}\n' for u in sorted(set(uuids + [uuid]))))
    out(f"Adding '/dev/disk/by-uuid/{uuid}' to list of synced ESPs..")
    return refresh([])


def main(argv):
    cmd, args = (argv[0], argv[1:]) if argv else ('', [])
    try:
        # The simulator's lock on its state directory: shared to read, exclusive to change the simulated ESPs.
        if cmd == 'status':
            lock = sim.State(False)
            return status(args)
        if cmd == 'refresh':
            lock = sim.State(True)
            return refresh(args)
        if cmd in ('kernel', 'kernels'):
            return kernel(args)
        if cmd == 'simulator-init-esp':
            lock = sim.State(True)
            return init_esp(args)
        if cmd in ('help', '--help', '-h'):
            out(f'USAGE: {TOOL} status [--quiet]\nUSAGE: {TOOL} refresh [--hook <name>]\nUSAGE: {TOOL} kernel list\n')
            sys.stdout.write(simulator_note())
            return 0
        if cmd == '':
            warn(f'USAGE: {TOOL} <commands> [ARGS]')
            return 0
        if cmd in ('format', 'init', 'reinit', 'clean'):
            raise sim.PveError(f"pve-simulator: 'proxmox-boot-tool {cmd}' is not simulated (see {sim.README})")
        warn(f"Invalid/unknown command '{cmd}'.")
        return 1
    except sim.PveError as e:
        sys.stdout.flush()
        sys.stderr.write(e.msg)
        return e.code


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
