#!/usr/bin/env python3
# pve-simulator.py -- a SIMULATOR of a subset of the Proxmox VE command line tools
# (qm, pvesm, pvesh, pveversion) for the media-server-home lab.
#
# THIS IS NOT PROXMOX VE. It runs no VM, allocates no disk and touches no LVM or QEMU:
# it only keeps state (VM configs, volumes, storages, directory mappings) in JSON files
# under /var/lib/pve-simulator (or $PVE_SIMULATOR_STATE) and answers like the real tools
# do for the commands our roles use. Output formats, messages and exit codes follow the
# upstream sources (qemu-server, pve-manager, pve-common, pve-storage, pve-guest-common);
# see README.md next to this file for what is simulated, what is not, and which details
# were read upstream versus guessed.
#
# Invocation: through the wrappers /usr/local/bin/{qm,pvesm,pvesh,pveversion}, which run
# "pve-simulator.py <tool> ARGS...", or directly the same way. Python 3 stdlib only.

import fcntl
import hashlib
import json
import os
import random
import re
import socket
import sys
import time
import urllib.parse
import uuid

STATE_DIR = os.environ.get('PVE_SIMULATOR_STATE') or '/var/lib/pve-simulator'
TOOLS = ('qm', 'pvesm', 'pvesh', 'pveversion')
README = '/usr/local/lib/pve-simulator/README.md'

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB


def simulator_note(tool):
    return (f"NOTE: this '{tool}' is the pve-simulator, a SIMULATOR of Proxmox VE's {tool} for the\n"
            f"media-server-home lab; it keeps state in {STATE_DIR} and runs no VM.\n"
            f"See {README} for what is simulated.\n")


# ----------------------------------------------------------------------------------------
# errors


class PveError(Exception):
    """A failure printed like the real tool: message on stderr, then the exit code.

    The real CLIs are Perl: an uncaught die exits with errno if set, else 255; a failing
    task worker exits with 255 (exit(-1)). Where errno is known (ENOENT after a missing
    config file) the code is 2, elsewhere 255."""

    def __init__(self, msg, code=255):
        super().__init__(msg)
        self.msg = msg if msg.endswith('\n') else msg + '\n'
        self.code = code
        self.has_usage = False

    def with_usage(self, usage):
        """The CLI handler appends the command's short usage to parameter errors (once)."""
        if usage and not self.has_usage:
            self.msg += usage if usage.endswith('\n') else usage + '\n'
            self.has_usage = True
        return self


class ParamError(PveError):
    """PVE::Exception with code 400 (parameter verification); the CLI appends the usage."""

    def __init__(self, errors=None, msg='Parameter verification failed.'):
        text = f'400 {msg}\n'
        for k in sorted(errors or {}):
            text += f'{k}: {errors[k]}\n'
        super().__init__(text, 255)


class Usage(Exception):
    pass


def warn(msg):
    sys.stderr.write(msg if msg.endswith('\n') else msg + '\n')


# ----------------------------------------------------------------------------------------
# host facts


def nodename():
    return socket.gethostname().split('.')[0]


def config_missing(vmid):
    return PveError(f"Configuration file 'nodes/{nodename()}/qemu-server/{vmid}.conf' does not exist", 2)


def read_file(path, default=''):
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return default


def host_cpus():
    n = 0
    for line in read_file('/proc/cpuinfo').splitlines():
        if re.match(r'^processor\s*:\s*\d+\s*$', line, re.I):
            n += 1
    return n or 1


def read_cpuinfo():
    # PVE::ProcFSTools::read_cpuinfo; mhz and hvm stay strings as in Perl
    res = {'user_hz': os.sysconf('SC_CLK_TCK'), 'model': 'unknown', 'mhz': 0, 'cpus': 1, 'sockets': 1, 'flags': ''}
    count = 0
    cpuid = '0'
    ids = {}
    for line in read_file('/proc/cpuinfo').splitlines():
        if re.match(r'^processor\s*:\s*\d+\s*$', line, re.I):
            count += 1
        elif m := re.match(r'^model\s+name\s*:\s*(.*?)\s*$', line, re.I):
            if res['model'] == 'unknown':
                res['model'] = m.group(1)
        elif m := re.match(r'^cpu\s+MHz\s*:\s*(\d+\.\d+)\s*$', line, re.I):
            if not res['mhz']:
                res['mhz'] = m.group(1)
        elif m := re.match(r'^flags\s*:\s*(.*)$', line):
            if not res['flags']:
                res['flags'] = m.group(1)
        elif m := re.match(r'^physical id\s*:\s*(\d+)\s*$', line, re.I):
            cpuid = m.group(1)
            ids.setdefault(cpuid, 1)
        elif m := re.match(r'^cpu cores\s*:\s*(\d+)\s*$', line, re.I):
            if cpuid in ids:
                ids[cpuid] = int(m.group(1))
    res['hvm'] = '1' if re.search(r'\s(vmx|svm)\s', res['flags']) else ''
    res['sockets'] = len(ids) or 1
    res['cores'] = sum(ids.values()) or 1
    res['cpus'] = count
    return res


def read_meminfo():
    d = {}
    for line in read_file('/proc/meminfo').splitlines():
        if m := re.match(r'^(\S+):\s+(\d+)\s*kB', line, re.I):
            d[m.group(1).lower()] = int(m.group(2)) * 1024
    total = d.get('memtotal', 0)
    swaptotal = d.get('swaptotal', 0)
    return {'memtotal': total, 'memfree': d.get('memfree', 0),
            'memused': total - d.get('memavailable', d.get('memfree', 0)),
            'swaptotal': swaptotal, 'swapfree': d.get('swapfree', 0),
            'swapused': swaptotal - d.get('swapfree', 0)}


def read_uptime():
    m = re.match(r'^(\d+\.\d+)\s+(\d+\.\d+)', read_file('/proc/uptime'))
    return int(float(m.group(1))) if m else 0


def df(path):
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    total = st.f_blocks * st.f_frsize
    return {'total': total, 'avail': st.f_bavail * st.f_frsize, 'used': total - st.f_bfree * st.f_frsize}


def resolv_conf():
    search, dns = None, []
    for line in read_file('/etc/resolv.conf').splitlines():
        if m := re.match(r'^\s*(?:search|domain)\s+(\S.*?)\s*$', line):
            if search is None:
                search = m.group(1)
        elif m := re.match(r'^\s*nameserver\s+(\S+)', line):
            if len(dns) < 3:
                dns.append(m.group(1))
    return search, dns


# ----------------------------------------------------------------------------------------
# simulated version (pveversion, /version, /nodes/<node>/status)

VERSION_DEFAULTS = {
    8: {'manager': '8.4.1', 'repoid': '2a5fa54a8503f96d', 'kernel': '6.8.12-9-pve', 'debian': 'bookworm',
        'kernel_build': '#1 SMP PREEMPT_DYNAMIC PMX 6.8.12-9 (2025-03-16T19:18Z)', 'qemu': '9.2.0'},
    9: {'manager': '9.0.3', 'repoid': '025864202ebb6109', 'kernel': '6.14.8-2-pve', 'debian': 'trixie',
        'kernel_build': '#1 SMP PREEMPT_DYNAMIC PMX 6.14.8-2 (2025-07-22T10:04Z)', 'qemu': '10.0.2'},
}


def load_version():
    """The simulated version: /var/lib/pve-simulator/version holds either JSON
    ({"manager": "8.4.1", "repoid": ..., "kernel": ..., "debian": ...}) or just a
    pve-manager version like "9.0.3". Missing fields come from the defaults of that major."""
    raw = read_file(os.path.join(STATE_DIR, 'version')).strip()
    given = {}
    if raw:
        try:
            parsed = json.loads(raw)
            given = parsed if isinstance(parsed, dict) else {'manager': str(parsed)}
        except ValueError:
            given = {'manager': raw.split()[0]}
    manager = str(given.get('manager') or VERSION_DEFAULTS[8]['manager'])
    major = int(manager.split('.')[0]) if re.match(r'^\d+', manager) else 8
    base = dict(VERSION_DEFAULTS.get(major, VERSION_DEFAULTS[8]))
    base.update({k: str(v) for k, v in given.items()})
    base['manager'] = manager
    base['major'] = major
    base['release'] = '.'.join(manager.split('.')[:2])
    return base


# ----------------------------------------------------------------------------------------
# state: JSON files under STATE_DIR, one fcntl lock for the whole directory

DEFAULT_STORAGES = {
    'local': {'type': 'dir', 'path': '/var/lib/vz', 'content': 'iso,vztmpl,backup'},
    'local-lvm': {'type': 'lvmthin', 'vgname': 'pve', 'thinpool': 'data', 'content': 'rootdir,images',
                  'size': 100 * GiB},
}


class State:
    def __init__(self, write):
        try:
            os.makedirs(os.path.join(STATE_DIR, 'vms'), exist_ok=True)
            self.lockfh = open(os.path.join(STATE_DIR, '.lock'), 'a+')
        except OSError as e:
            raise PveError(f'pve-simulator: cannot use state directory {STATE_DIR} - {e.strerror}')
        fcntl.flock(self.lockfh, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
        self.write = write
        self._cache = {}
        if write and not os.path.exists(os.path.join(STATE_DIR, 'storages.json')):
            self.save('storages.json', DEFAULT_STORAGES)

    def load(self, name, default):
        if name not in self._cache:
            path = os.path.join(STATE_DIR, name)
            try:
                with open(path) as fh:
                    self._cache[name] = json.load(fh)
            except FileNotFoundError:
                self._cache[name] = json.loads(json.dumps(default))
            except ValueError as e:
                raise PveError(f'pve-simulator: corrupt state file {path} - {e}')
        return self._cache[name]

    def save(self, name, data):
        assert self.write, 'state opened read-only'
        path = os.path.join(STATE_DIR, name)
        tmp = f'{path}.tmp.{os.getpid()}'
        with open(tmp, 'w') as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.write('\n')
        os.replace(tmp, path)
        self._cache[name] = data

    def remove(self, name):
        try:
            os.unlink(os.path.join(STATE_DIR, name))
        except FileNotFoundError:
            pass
        self._cache.pop(name, None)

    # typed accessors
    def storages(self):
        return self.load('storages.json', DEFAULT_STORAGES)

    def volumes(self):
        return self.load('volumes.json', {})

    def save_volumes(self):
        self.save('volumes.json', self.volumes())

    def mappings(self):
        return self.load('mappings.json', {'dir': {}})

    def settings(self):
        return self.load('settings.json', {})

    def vmids(self):
        res = []
        for name in os.listdir(os.path.join(STATE_DIR, 'vms')):
            if m := re.match(r'^(\d+)\.json$', name):
                res.append(int(m.group(1)))
        return sorted(res)

    def vm(self, vmid):
        vm = self.load(f'vms/{vmid}.json', None)
        if vm is not None:
            vm.setdefault('pending', {})
            vm.setdefault('pending_delete', [])
        return vm

    def save_vm(self, vm):
        self.save(f"vms/{vm['vmid']}.json", vm)

    def delete_vm(self, vmid):
        self.remove(f'vms/{vmid}.json')


def storage_config(st, storeid):
    scfg = st.storages().get(storeid)
    if scfg is None:
        raise PveError(f"storage '{storeid}' does not exist")
    return scfg


def storage_content(scfg):
    return set(x for x in re.split(r'[,;\s]+', scfg.get('content', '')) if x)


# ----------------------------------------------------------------------------------------
# sizes and property strings (PVE::JSONSchema, PVE::Tools)


def parse_size(value):
    m = re.match(r'^(\d+(?:\.\d+)?)([KMGT])?$', str(value))
    if not m:
        return None
    num = float(m.group(1))
    mult = {None: 1, 'K': KiB, 'M': MiB, 'G': GiB, 'T': TiB}[m.group(2)]
    return int(num * mult)


def format_size(size):
    size = int(size)
    kb = size // 1024
    if kb * 1024 != size:
        return str(size)
    mb = kb // 1024
    if mb * 1024 != kb:
        return f'{kb}K'
    gb = mb // 1024
    if gb * 1024 != mb:
        return f'{mb}M'
    tb = gb // 1024
    if tb * 1024 != gb:
        return f'{gb}G'
    return f'{tb}T'


def render_bytes(value):
    units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
    value = float(value)
    i = 0
    while value > 1023 and i < len(units) - 1:
        value /= 1024
        i += 1
    return f'{value:.2f} {units[i]}'


def render_duration(seconds):
    rest = int(seconds)
    parts = []
    for unit, length in (('w', 7 * 86400), ('d', 86400), ('h', 3600), ('m', 60), ('s', 1)):
        v = rest // length
        if v > 0:
            parts.append(f'{v}{unit}')
            rest -= v * length
    return ' '.join(parts)


def parse_propstr(value, default_key):
    res = {}
    for i, part in enumerate(value.split(',')):
        if part == '':
            continue
        if '=' in part:
            k, v = part.split('=', 1)
            res[k] = v
        elif i == 0 and default_key:
            res[default_key] = part
        else:
            res[part] = '1'
    return res


def print_propstr(data, default_key):
    parts = []
    if default_key in data:
        parts.append(str(data[default_key]))
    for k in sorted(data):
        if k != default_key:
            parts.append(f'{k}={data[k]}')
    return ','.join(parts)


def parse_boolean(value):
    v = str(value).lower()
    if v in ('1', 'on', 'yes', 'true'):
        return 1
    if v in ('0', 'off', 'no', 'false'):
        return 0
    return None


def uri_escape(text):
    # URI::Escape::uri_escape: everything but A-Za-z0-9-._~ is %XX-escaped
    return urllib.parse.quote(text, safe='-._~')


def uri_unescape(text):
    return urllib.parse.unquote(text)


def encode_text(text):
    # PVE::Tools::encode_text: control, hi-bit characters and ':' are escaped
    out = []
    for b in text.encode('utf-8'):
        c = chr(b)
        if 0x20 <= b <= 0x39 or 0x3b <= b <= 0x7e:
            out.append(c)
        else:
            out.append(f'%{b:02X}')
    return ''.join(out)


def perl_num(value):
    # Perl stringifies 4096.0 as "4096"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ----------------------------------------------------------------------------------------
# VM config helpers (PVE::QemuServer, ::Drive, ::Network)

DRIVE_RE = re.compile(r'^(ide[0-3]|sata[0-5]|scsi(?:[0-9]|[12][0-9]|30)|virtio(?:[0-9]|1[0-5])|efidisk0|tpmstate0)$')
UNUSED_RE = re.compile(r'^unused(\d+)$')
NET_RE = re.compile(r'^net(\d+)$')
IPCONFIG_RE = re.compile(r'^ipconfig(\d+)$')
NEW_DISK_RE = re.compile(r'^(?:([^/:\s]+):)?(\d+(?:\.\d+)?)$')
CLOUDINIT_RE = re.compile(r'[:/](?:vm-\d+-)?cloudinit(?:\.(?:raw|cow|qcow|qcow2|qed|vmdk|cloop))?$')
NET_MODELS = ('virtio', 'e1000', 'e1000e', 'rtl8139', 'vmxnet3', 'e1000-82540em', 'e1000-82544gc',
              'e1000-82545em', 'i82551', 'i82557b', 'i82559er', 'ne2k_isa', 'ne2k_pci', 'pcnet')
DRIVE_ORDER = ([f'ide{i}' for i in range(4)] + [f'sata{i}' for i in range(6)] +
               [f'scsi{i}' for i in range(31)] + [f'virtio{i}' for i in range(16)])

CLOUDINIT_KEYS = {'cicustom', 'cipassword', 'citype', 'ciuser', 'ciupgrade', 'nameserver', 'searchdomain', 'sshkeys'}
FAST_PLUG = {'description', 'hookscript', 'lock', 'migrate_downtime', 'migrate_speed', 'name', 'onboot',
             'protection', 'shares', 'startup', 'tags', 'vmstatestorage'} | CLOUDINIT_KEYS

BOOL_KEYS = {'onboot', 'protection', 'acpi', 'kvm', 'tablet', 'template', 'numa', 'localtime', 'reboot',
             'freeze', 'autostart', 'ciupgrade'}
INT_KEYS = {'cores': 1, 'sockets': 1, 'vcpus': 1, 'balloon': 0, 'shares': 0, 'cpuunits': 1,
            'migrate_speed': 0}
PLAIN_KEYS = {'name', 'memory', 'cpu', 'scsihw', 'boot', 'bootdisk', 'vga', 'agent', 'ostype', 'ciuser',
              'cipassword', 'citype', 'cicustom', 'sshkeys', 'nameserver', 'searchdomain', 'startup', 'machine',
              'bios', 'description', 'tags', 'hotplug', 'args', 'hookscript', 'rng0', 'smbios1', 'vmgenid',
              'cpulimit', 'affinity', 'keyboard', 'audio0', 'watchdog', 'spice_enhancements', 'vmstatestorage',
              'migrate_downtime', 'arch', 'lock', 'ivshmem', 'amd-sev', 'intel-tdx'}
CONFIG_KEY_RE = re.compile(r'^(?:' + '|'.join([
    r'net\d+', r'ipconfig\d+', r'serial[0-3]', r'parallel[0-2]', r'usb\d+', r'hostpci\d+', r'virtiofs\d',
    r'numa\d+', r'unused\d+', DRIVE_RE.pattern[1:-1]]) + r')$')

OSTYPES = ('other', 'wxp', 'w2k', 'w2k3', 'w2k8', 'wvista', 'win7', 'win8', 'win10', 'win11', 'l24', 'l26', 'solaris')
SCSIHW = ('lsi', 'lsi53c810', 'virtio-scsi-pci', 'virtio-scsi-single', 'megasas', 'pvscsi')
NAME_RE = re.compile(r'^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])\.)*'
                     r'(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9])$')


def is_config_key(key):
    return (key in BOOL_KEYS or key in INT_KEYS or key in PLAIN_KEYS or CONFIG_KEY_RE.match(key) is not None)


def parse_drive(value):
    return parse_propstr(value, 'file')


def print_drive(drive):
    return print_propstr(drive, 'file')


def drive_is_cdrom(drive):
    return drive.get('media') == 'cdrom'


def drive_is_cloudinit(drive):
    return CLOUDINIT_RE.search(drive.get('file', '')) is not None


def random_mac():
    # PVE 8 uses the Proxmox OUI BC:24:11 as default MAC prefix
    return 'BC:24:11:' + ':'.join(f'{random.randint(0, 255):02X}' for _ in range(3))


def parse_net(value):
    data = parse_propstr(value, None)
    model = None
    mac = None
    res = {}
    for k, v in data.items():
        if k in NET_MODELS:
            model = k
            if v != '1' and re.match(r'^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$', v):
                mac = v.upper()
        elif k == 'model':
            model = v
        elif k == 'macaddr':
            mac = v.upper()
        else:
            res[k] = v
    if model is None:
        return None
    res['model'] = model
    res['macaddr'] = mac or random_mac()
    return res


def print_net(net):
    parts = [f"{net['model']}={net['macaddr']}"]
    for k in sorted(net):
        if k not in ('model', 'macaddr'):
            parts.append(f'{k}={net[k]}')
    return ','.join(parts)


def boot_order(conf):
    boot = conf.get('boot')
    if not boot:
        return []
    cfg = parse_propstr(boot, 'legacy')
    if 'order' in cfg:
        return [x for x in re.split(r'[;,\s]+', cfg['order']) if x]
    return []


def default_boot_devices(conf):
    devs = []
    disk = next((k for k in DRIVE_ORDER if k in conf and not drive_is_cdrom(parse_drive(conf[k]))), None)
    if disk:
        devs.append(disk)
    cd = next((k for k in DRIVE_ORDER if k in conf and drive_is_cdrom(parse_drive(conf[k]))
               and not drive_is_cloudinit(parse_drive(conf[k]))), None)
    if cd:
        devs.append(cd)
    net = next((k for k in sorted(conf) if NET_RE.match(k)), None)
    if net:
        devs.append(net)
    return devs


def bootdisk_size(conf):
    candidates = [k for k in boot_order(conf) if DRIVE_RE.match(k)]
    if conf.get('bootdisk'):
        candidates.append(conf['bootdisk'])
    candidates += DRIVE_ORDER
    for key in candidates:
        if key in conf:
            drive = parse_drive(conf[key])
            if drive_is_cdrom(drive):
                continue
            size = parse_size(drive.get('size', ''))
            return size
    return None


def current_memory(conf):
    mem = conf.get('memory')
    if mem is None:
        return 512
    data = parse_propstr(mem, 'current')
    try:
        return int(data.get('current', 512))
    except ValueError:
        return 512


def hotplug_features(conf):
    value = conf.get('hotplug', '1')
    if value == '1':
        return {'network', 'disk', 'usb'}
    if value == '0':
        return set()
    return set(x for x in value.split(',') if x)


def merged_conf(vm):
    """load_current_config with current=0: pending values applied, pending deletes removed."""
    conf = dict(vm['conf'])
    conf.update(vm['pending'])
    for k in vm['pending_delete']:
        conf.pop(k, None)
    return conf


def agent_enabled(conf):
    agent = conf.get('agent')
    if agent is None:
        return False
    data = parse_propstr(agent, 'enabled')
    return parse_boolean(data.get('enabled', '0')) == 1


def cpu_count(conf):
    cpus = int(conf.get('sockets', 1)) * int(conf.get('cores', 1))
    cpus = min(cpus, host_cpus())
    if conf.get('vcpus'):
        cpus = int(conf['vcpus'])
    return cpus


# ----------------------------------------------------------------------------------------
# volumes (the registry in volumes.json replaces LVM/qemu-img)


def volume_info(st, volid):
    return st.volumes().get(volid)


def free_diskname(st, storeid, vmid):
    used = set()
    for volid, info in st.volumes().items():
        if info['storage'] == storeid:
            used.add(volid.split(':', 1)[1])
    i = 0
    while True:
        name = f'vm-{vmid}-disk-{i}'
        if not any(v == name or v.startswith(f'{vmid}/{name}.') for v in used):
            return name
        i += 1


def alloc_volume(st, storeid, vmid, size, fmt=None, name=None, used=0, out=None):
    """Registers a new volume and prints what the real storage tools print."""
    scfg = storage_config(st, storeid)
    name = name or free_diskname(st, storeid, vmid)
    stype = scfg['type']
    if stype == 'dir':
        fmt = fmt or ('qcow2' if 'cloudinit' in name else 'raw')
        volname = f'{vmid}/{name}.{fmt}'
        path = os.path.join(scfg['path'], 'images', volname)
        if out is not None:
            out.append(f"Formatting '{path}', fmt={fmt} size={size} preallocation=off")
    else:
        fmt = 'raw'
        volname = name
        if out is not None:
            out.append(f'  Logical volume "{name}" created.')
    volid = f'{storeid}:{volname}'
    if volid in st.volumes():
        raise PveError(f"volume '{volid}' already exists")
    st.volumes()[volid] = {'storage': storeid, 'vmid': int(vmid), 'size': int(size), 'format': fmt,
                           'content': 'images', 'used': int(used)}
    return volid


def free_volume(st, volid, out=None):
    info = st.volumes().pop(volid, None)
    if info is None:
        return
    scfg = st.storages().get(info['storage'], {})
    if out is not None and scfg.get('type') == 'lvmthin':
        out.append(f'  Logical volume "{volid.split(":", 1)[1]}" successfully removed.')


def image_virtual_size(path):
    try:
        with open(path, 'rb') as fh:
            head = fh.read(32)
        if head[:4] == b'QFI\xfb' and len(head) >= 32:
            return int.from_bytes(head[24:32], 'big')
        return os.path.getsize(path)
    except OSError:
        return None


def storage_file_path(st, volid):
    """Path of a file-based volume (iso/import/snippets/...) of a dir storage, or None."""
    if ':' not in volid:
        return None
    storeid, volname = volid.split(':', 1)
    scfg = st.storages().get(storeid)
    if not scfg or 'path' not in scfg:
        return None
    base = scfg['path']
    for prefix, sub in (('iso/', 'template/iso/'), ('vztmpl/', 'template/cache/'), ('backup/', 'dump/'),
                        ('snippets/', 'snippets/'), ('import/', 'import/')):
        if volname.startswith(prefix):
            return os.path.join(base, sub + volname[len(prefix):])
    return os.path.join(base, 'images', volname)


def fmt_transferred(size):
    # the last progress line of PVE's qemu-img convert wrapper (sizes with one decimal)
    value, unit = float(size), 'B'
    for u in ('KiB', 'MiB', 'GiB', 'TiB'):
        if value < 1024:
            break
        value, unit = value / 1024, u
    text = f'{value:.1f} {unit}'
    return f'transferred {text} of {text} (100.00%)'


def create_disk(st, vmid, key, value, out):
    """create_disks() for one drive option: allocates new volumes, returns the config value."""
    drive = parse_drive(value)
    file = drive.get('file', '')
    m = re.match(r'^([^/:\s]+):cloudinit$', file)
    if m:
        storeid = m.group(1)
        scfg = storage_config(st, storeid)
        if 'images' not in storage_content(scfg):
            raise ParamError({'storage': f"storage '{storeid}' does not support vm images"})
        fmt = drive.pop('format', None) or ('qcow2' if scfg['type'] == 'dir' else 'raw')
        volid = alloc_volume(st, storeid, vmid, 4 * MiB, fmt, f'vm-{vmid}-cloudinit', 0, out)
        drive['file'] = volid
        drive['media'] = 'cdrom'
        return print_drive(drive)
    m = NEW_DISK_RE.match(file)
    if m and not drive_is_cdrom(drive):
        storeid, size_gb = m.group(1), float(m.group(2))
        if storeid is None:
            raise ParamError({key: 'no storage ID specified (and no default storage)'})
        scfg = storage_config(st, storeid)
        if 'images' not in storage_content(scfg):
            raise ParamError({'storage': f"storage '{storeid}' does not support vm images"})
        fmt = drive.pop('format', None)
        source = drive.pop('import-from', None)
        if source is not None:
            if ':' in source and not os.path.isabs(source):
                path = storage_file_path(st, source)
                info = volume_info(st, source)
                if info is not None:
                    size, used = info['size'], info['size']
                elif path and os.path.isfile(path):
                    size, used = image_virtual_size(path), os.path.getsize(path)
                else:
                    raise PveError(f"can't find file '{source}'")
            else:
                if not os.path.isfile(source):
                    raise PveError(f"can't find file '{source}'")
                size, used = image_virtual_size(source), os.path.getsize(source)
            used = min(used, size)
            volid = alloc_volume(st, storeid, vmid, size, fmt, None, used, out)
            out.append(fmt_transferred(size))
        else:
            size = int(size_gb * GiB)
            if size <= 0:
                raise ParamError({key: 'invalid size 0 (use import-from to import an image)'})
            volid = alloc_volume(st, storeid, vmid, size, fmt, None, 0, out)
        drive['file'] = volid
        drive['size'] = format_size(size)
        return print_drive(drive)
    if file in ('cdrom',):
        drive['file'] = 'cdrom'
        drive['media'] = 'cdrom'
    elif ':' in file and not os.path.isabs(file):
        storeid = file.split(':', 1)[0]
        storage_config(st, storeid)
        info = volume_info(st, file)
        if info is not None and 'size' not in drive and not drive_is_cdrom(drive):
            drive['size'] = format_size(info['size'])
    return print_drive(drive)


# ----------------------------------------------------------------------------------------
# command line parsing (PVE::JSONSchema::get_options semantics, simplified)


def parse_args(argv, positional, bool_opts=(), int_opts=(), array_opts=(), known=None, usage=''):
    """Returns (positional values, options). Options may come before or after positionals,
    as -opt or --opt, with "--opt=value" or "--opt value"; boolean options take an optional
    value (a following word not starting with '-'), arrays may repeat."""
    pos = []
    opts = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if re.match(r'^--?[A-Za-z]', a):
            name = a.lstrip('-')
            value = None
            if '=' in name:
                name, value = name.split('=', 1)
            if known is not None and not known(name):
                warn(f'Unknown option: {name}')
                raise PveError(f'400 unable to parse option\n{usage}')
            if name in bool_opts:
                if value is None and i + 1 < len(argv) and not argv[i + 1].startswith('-'):
                    value = argv[i + 1]
                    i += 1
                if value is None or value == '':
                    value = '1'
                b = parse_boolean(value)
                if b is None:
                    raise ParamError({name: f"type check ('boolean') failed - got '{value}'"}).with_usage(usage)
                value = str(b)
            elif value is None:
                if i + 1 >= len(argv):
                    warn(f'Option {name} requires an argument')
                    raise PveError(f'400 unable to parse option\n{usage}')
                value = argv[i + 1]
                i += 1
            if name in int_opts and not re.match(r'^-?\d+$', value):
                raise ParamError({name: f"type check ('integer') failed - got '{value}'"}).with_usage(usage)
            if name in array_opts:
                opts.setdefault(name, []).append(value)
            else:
                opts[name] = value
        else:
            pos.append(a)
        i += 1
    if len(pos) < len(positional):
        raise PveError(f'400 not enough arguments\n{usage}')
    if len(pos) > len(positional):
        raise PveError(f'400 too many arguments\n{usage}')
    return pos, opts


def check_vmid(value, usage, key='vmid'):
    if not re.match(r'^-?\d+$', value):
        raise ParamError({key: f"type check ('integer') failed - got '{value}'"}).with_usage(usage)
    vmid = int(value)
    if vmid < 100:
        raise ParamError({key: 'value must have a minimum value of 100'}).with_usage(usage)
    if vmid > 999999999:
        raise ParamError({key: 'value must have a maximum value of 999999999'}).with_usage(usage)
    return vmid


# ----------------------------------------------------------------------------------------
# qm

QM_REAL_COMMANDS = [
    'agent', 'cleanup', 'clone', 'cloudinit', 'config', 'create', 'delsnapshot', 'destroy', 'disk', 'guest',
    'help', 'import', 'importdisk', 'importovf', 'list', 'listsnapshot', 'migrate', 'monitor', 'move-disk',
    'move_disk', 'mtunnel', 'nbdstop', 'pending', 'reboot', 'remote-migrate', 'rescan', 'reset', 'resize',
    'resume', 'rollback', 'sendkey', 'set', 'showcmd', 'shutdown', 'snapshot', 'start', 'status', 'stop',
    'suspend', 'template', 'terminal', 'unlink', 'unlock', 'vncproxy', 'wait']

QM_USAGE = {
    'list': 'qm list  [OPTIONS]',
    'create': 'qm create <vmid> [OPTIONS]',
    'set': 'qm set <vmid> [OPTIONS]',
    'config': 'qm config <vmid> [OPTIONS]',
    'pending': 'qm pending <vmid>',
    'status': 'qm status <vmid> [OPTIONS]',
    'start': 'qm start <vmid> [OPTIONS]',
    'stop': 'qm stop <vmid> [OPTIONS]',
    'shutdown': 'qm shutdown <vmid> [OPTIONS]',
    'reboot': 'qm reboot <vmid> [OPTIONS]',
    'destroy': 'qm destroy <vmid> [OPTIONS]',
    'unlock': 'qm unlock <vmid>',
    'rescan': 'qm disk rescan  [OPTIONS]',
    'importdisk': 'qm disk import <vmid> <source> <storage> [OPTIONS]',
    'resize': 'qm disk resize <vmid> <disk> <size> [OPTIONS]',
    'cloudinit dump': 'qm cloudinit dump <vmid> <type>',
    'cloudinit update': 'qm cloudinit update <vmid>',
    'guest cmd': 'qm guest cmd <vmid> <command>',
}

QM_HELP = {
    'list': 'Virtual machine index (per node).',
    'create': 'Create a virtual machine (simulated: config and volume registry only).',
    'set': 'Set virtual machine options; on a running VM non-hotpluggable changes stay pending.',
    'config': 'Get the virtual machine configuration with pending changes applied (--current: without).',
    'pending': 'Get the virtual machine configuration with both current and pending values.',
    'status': 'Show VM status.',
    'start': 'Start virtual machine (simulated: state only).',
    'stop': 'Stop virtual machine (simulated: state only).',
    'shutdown': 'Shutdown virtual machine (simulated: state only).',
    'reboot': 'Reboot the VM (simulated: applies pending changes).',
    'destroy': 'Destroy the VM and all used/owned volumes.',
    'unlock': 'Unlock the VM.',
    'rescan': 'Rescan all storages (simulated: no-op).',
    'importdisk': 'Import an external disk image as an unused disk in a VM.',
    'resize': 'Extend volume size.',
    'cloudinit dump': 'Get automatically generated cloudinit config (user, network or meta).',
    'cloudinit update': 'Regenerate and change cloudinit config drive (simulated: no-op).',
    'guest cmd': 'Execute QEMU Guest Agent commands (simulated: ping, info, get-host-name, get-osinfo, '
                 'network-get-interfaces, shutdown).',
}

GUEST_COMMANDS = ('fsfreeze-freeze', 'fsfreeze-status', 'fsfreeze-thaw', 'fstrim', 'get-fsinfo', 'get-host-name',
                  'get-memory-block-info', 'get-memory-blocks', 'get-osinfo', 'get-time', 'get-timezone',
                  'get-users', 'get-vcpus', 'info', 'network-get-interfaces', 'ping', 'shutdown',
                  'suspend-disk', 'suspend-hybrid', 'suspend-ram')


def qm_print_usage_short(fh, msg=None):
    if msg:
        fh.write(f'ERROR: {msg}\n')
    fh.write('USAGE: qm <COMMAND> [ARGS] [OPTIONS]\n')
    for cmd in sorted(QM_USAGE):
        fh.write(f'       {QM_USAGE[cmd]}\n')
    fh.write('\n' + simulator_note('qm'))


def wants_help(args):
    return any(a in ('--help', '-h', '-help') for a in args)


def print_cmd_help(tool, usage, text):
    sys.stdout.write(f'USAGE: {usage}\n\n  {text}\n\n' + simulator_note(tool))


def expand_command(name, commands):
    if name in commands:
        return name
    matches = [c for c in commands if c.startswith(name)]
    return matches[0] if len(matches) == 1 else None


def qm_main(argv):
    if not argv:
        qm_print_usage_short(sys.stderr, 'no command specified')
        return 255
    cmd = expand_command(argv[0], QM_REAL_COMMANDS)
    rest = argv[1:]
    if cmd is None:
        qm_print_usage_short(sys.stderr, f"unknown command 'qm {argv[0]}'")
        return 255
    aliases = {'importdisk': ('disk', 'import'), 'resize': ('disk', 'resize'), 'rescan': ('disk', 'rescan'),
               'agent': ('guest', 'cmd'), 'move-disk': ('disk', 'move'), 'move_disk': ('disk', 'move'),
               'unlink': ('disk', 'unlink')}
    if cmd in aliases:
        cmd, sub = aliases[cmd]
        rest = [sub] + rest
    if cmd in ('disk', 'cloudinit', 'guest'):
        subs = {'disk': ['import', 'move', 'rescan', 'resize', 'unlink'],
                'cloudinit': ['dump', 'pending', 'update'],
                'guest': ['cmd', 'exec', 'exec-status', 'passwd']}[cmd]
        if not rest or rest[0] in ('--help', '-h'):
            if rest:
                sys.stdout.write(f'USAGE: qm {cmd} <{"|".join(subs)}> ...\n\n' + simulator_note('qm'))
                return 0
            qm_print_usage_short(sys.stderr, f"incomplete command 'qm {cmd}'")
            return 255
        sub = expand_command(rest[0], subs)
        if sub is None:
            qm_print_usage_short(sys.stderr, f"unknown command 'qm {cmd} {rest[0]}'")
            return 255
        key = {'import': 'importdisk', 'resize': 'resize', 'rescan': 'rescan'}.get(sub, f'{cmd} {sub}')
        rest = rest[1:]
    else:
        key = cmd
    if cmd == 'help':
        if rest:
            k = ' '.join(rest)
            k = {'disk import': 'importdisk', 'disk resize': 'resize', 'disk rescan': 'rescan'}.get(k, k)
            if k in QM_USAGE:
                print_cmd_help('qm', QM_USAGE[k], QM_HELP[k])
                return 0
        qm_print_usage_short(sys.stdout)
        return 0
    handler = QM_COMMANDS.get(key)
    if handler is None:
        raise PveError(f"pve-simulator: 'qm {key}' is not simulated (see {README})")
    if wants_help(rest):
        print_cmd_help('qm', QM_USAGE[key], QM_HELP[key])
        return 0
    try:
        return handler(rest, QM_USAGE[key]) or 0
    except ParamError as e:
        raise e.with_usage(QM_USAGE[key])


def qm_config_known(name):
    return is_config_key(name) or name in ('cdrom',)


def normalize_params(st, vmid, params, usage, creating):
    """Type checks and CLI parameter mappings (sshkeys file, cipassword hashing, cdrom alias)."""
    res = {}
    for k, v in params.items():
        if k == 'cdrom':
            k, v = 'ide2', (v if ',' in v else f'{v},media=cdrom')
            if 'media=' not in v:
                v += ',media=cdrom'
        if k in BOOL_KEYS:
            b = parse_boolean(v)
            if b is None:
                raise ParamError({k: f"type check ('boolean') failed - got '{v}'"}).with_usage(usage)
            v = str(b)
        elif k in INT_KEYS:
            if not re.match(r'^\d+$', v):
                raise ParamError({k: f"type check ('integer') failed - got '{v}'"}).with_usage(usage)
            if int(v) < INT_KEYS[k]:
                raise ParamError({k: f'value must have a minimum value of {INT_KEYS[k]}'}).with_usage(usage)
        elif k == 'memory':
            data = parse_propstr(v, 'current')
            if not re.match(r'^\d+$', data.get('current', '')):
                raise ParamError({k: "value does not match the regex pattern"}).with_usage(usage)
            if int(data['current']) < 16:
                raise ParamError({k: 'value must have a minimum value of 16'}).with_usage(usage)
        elif k == 'name':
            if not NAME_RE.match(v):
                raise ParamError({k: 'invalid format - value does not look like a valid DNS name'}).with_usage(usage)
        elif k == 'ostype':
            if v not in OSTYPES:
                raise ParamError({k: f"value '{v}' does not have a value in the enumeration "
                                     f"'{', '.join(OSTYPES)}'"}).with_usage(usage)
        elif k == 'scsihw':
            if v not in SCSIHW:
                raise ParamError({k: f"value '{v}' does not have a value in the enumeration "
                                     f"'{', '.join(SCSIHW)}'"}).with_usage(usage)
        elif k == 'sshkeys':
            # qm's param_mapping: the option names a file whose content is uri-escaped
            try:
                with open(v) as fh:
                    content = fh.read()
            except OSError as e:
                raise PveError(f"can't open '{v}' - {e.strerror}", 2)
            for line in content.splitlines():
                if line.strip() and not re.match(r'^(?:ssh-|ecdsa-|sk-|[A-Za-z0-9,="@ -]+ ssh-)', line.strip()):
                    raise PveError('SSH public key validation error')
            v = uri_escape(content)
        elif k == 'cipassword':
            v = hash_password(v)
        elif NET_RE.match(k):
            net = parse_net(v)
            if net is None:
                raise ParamError({k: f"invalid format - format error\n{k}.model: property is missing and it is "
                                     f"not optional"}).with_usage(usage)
            v = print_net(net)
        elif IPCONFIG_RE.match(k):
            data = parse_propstr(v, None)
            for sub in data:
                if sub not in ('ip', 'gw', 'ip6', 'gw6'):
                    raise ParamError({k: f'invalid format - format error\n{k}.{sub}: property is not '
                                         f'defined in schema and the schema does not allow additional '
                                         f'properties'}).with_usage(usage)
            ip = data.get('ip')
            if ip and ip != 'dhcp' and not re.match(r'^\d+\.\d+\.\d+\.\d+/\d+$', ip):
                raise ParamError({k: f"invalid format - format error\n{k}.ip: invalid format - "
                                     f"invalid IPv4 with CIDR '{ip}'"}).with_usage(usage)
        elif UNUSED_RE.match(k) and creating:
            raise ParamError({k: 'property is not defined in schema and the schema does not allow '
                                 'additional properties'}).with_usage(usage)
        res[k] = v
    return res


def hash_password(pw):
    if re.match(r'^\$(?:[156]|2[ay])(\$.+){2}', pw):
        return pw
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:
            import crypt
            return crypt.crypt(pw, crypt.mksalt(crypt.METHOD_SHA256))
        except Exception:
            salt = uuid.uuid4().hex[:16]
            return f'$5${salt}$' + hashlib.sha256((salt + pw).encode()).hexdigest()


def meta_info():
    return f"creation-qemu={load_version()['qemu']},ctime={int(time.time())}"


def qm_list(args, usage):
    _, opts = parse_args(args, [], bool_opts=('full',), known=lambda n: n == 'full', usage=usage)
    st = State(False)
    rows = []
    for vmid in st.vmids():
        vm = st.vm(vmid)
        if vm:
            rows.append(vm_status_record(vm))
    if not rows:
        return 0
    out = ['%10s %-20s %-10s %-10s %12s %-10s' % ('VMID', 'NAME', 'STATUS', 'MEM(MB)', 'BOOTDISK(GB)', 'PID')]
    for rec in sorted(rows, key=lambda r: r['vmid']):
        out.append('%10s %-20s %-10s %-10s %12.2f %-10s' % (
            rec['vmid'], rec['name'], rec['status'], perl_num(rec['maxmem'] / MiB), rec['maxdisk'] / GiB,
            rec.get('pid', 0)))
    sys.stdout.write('\n'.join(out) + '\n')
    return 0


def vm_status_record(vm, full=False):
    conf = vm['conf']
    d = {'vmid': vm['vmid'], 'status': 'running' if vm.get('running') else 'stopped'}
    if vm.get('running'):
        d['pid'] = vm.get('pid') or 0
    size = bootdisk_size(conf)
    d['disk'] = 0
    d['maxdisk'] = size or 0
    d['cpus'] = cpu_count(conf)
    d['name'] = conf.get('name') or f"VM {vm['vmid']}"
    d['maxmem'] = current_memory(conf) * MiB
    d['uptime'] = int(time.time() - vm['started']) if vm.get('running') and vm.get('started') else 0
    d['cpu'] = 0
    d['mem'] = 0
    d['netout'] = 0
    d['netin'] = 0
    d['diskread'] = 0
    d['diskwrite'] = 0
    if any(re.match(r'^serial\d$', k) for k in conf):
        d['serial'] = 1
    if conf.get('lock'):
        d['lock'] = conf['lock']
    if conf.get('tags') is not None:
        d['tags'] = conf['tags']
    if conf.get('template') == '1':
        d['template'] = 1
    if full:
        d['qmpstatus'] = d['status']
        if vm.get('running'):
            d['running-machine'] = vm.get('running_machine', 'pc-i440fx-' + load_version()['qemu'][:3] + '+pve0')
            d['running-qemu'] = load_version()['qemu']
    return d


def load_vm(st, vmid):
    vm = st.vm(vmid)
    if vm is None:
        raise config_missing(vmid)
    return vm


def qm_create(args, usage):
    (vmid_s,), opts = parse_args(
        args, ['vmid'], bool_opts=BOOL_KEYS | {'start', 'unique', 'force'}, int_opts=set(INT_KEYS),
        known=lambda n: qm_config_known(n) or n in ('start', 'storage', 'pool', 'archive', 'force', 'unique',
                                                    'bwlimit', 'live-restore'), usage=usage)
    vmid = check_vmid(vmid_s, usage)
    if 'archive' in opts:
        raise PveError(f"pve-simulator: 'qm create --archive' (restore) is not simulated (see {README})")
    start = opts.pop('start', '0') == '1'
    for k in ('storage', 'pool', 'force', 'unique', 'bwlimit', 'live-restore'):
        opts.pop(k, None)
    st = State(True)
    params = normalize_params(st, vmid, opts, usage, True)
    node = nodename()
    if st.vm(vmid) is not None:
        raise PveError(f"unable to create VM {vmid} - VM {vmid} already exists on node '{node}'")
    # storage checks happen before the task starts, allocation inside it
    for k, v in params.items():
        if DRIVE_RE.match(k):
            f = parse_drive(v).get('file', '')
            m = re.match(r'^([^/:\s]+):', f)
            if m:
                storage_config(st, m.group(1))
    out = []
    conf = {}
    try:
        for k in sorted(params):
            v = params[k]
            if DRIVE_RE.match(k):
                v = create_disk(st, vmid, k, v, out)
            conf[k] = v
    except PveError:
        if out:
            sys.stdout.write('\n'.join(out) + '\n')
        raise
    if 'boot' not in conf:
        devs = default_boot_devices(conf)
        conf['boot'] = 'order=' + ';'.join(devs) if devs else 'order='
        if not devs:
            del conf['boot']
    if 'smbios1' not in conf:
        conf['smbios1'] = f'uuid={uuid.uuid4()}'
    if conf.get('vmgenid', '1') == '1':
        conf['vmgenid'] = str(uuid.uuid4())
    conf['meta'] = meta_info()
    vm = {'vmid': vmid, 'conf': conf, 'pending': {}, 'pending_delete': [], 'running': False, 'pid': None,
          'started': None, 'created': int(time.time())}
    st.save_volumes()
    st.save_vm(vm)
    if out:
        sys.stdout.write('\n'.join(out) + '\n')
    if start:
        print('Execute autostart')
        try:
            do_start(st, vm)
        except PveError as e:
            warn(e.msg)
    return 0


def register_unused(st, conf, drive_value, out):
    drive = parse_drive(drive_value)
    if drive_is_cloudinit(drive):
        free_volume(st, drive['file'], out)
        return
    if drive_is_cdrom(drive):
        return
    volid = drive.get('file')
    if not volid or volid in ('none', 'cdrom') or ':' not in volid:
        return
    for k, v in conf.items():
        if UNUSED_RE.match(k) and parse_drive(v).get('file') == volid:
            return
    i = 0
    while f'unused{i}' in conf:
        i += 1
    conf[f'unused{i}'] = volid


def delete_or_detach_drive(st, conf, key, force, out):
    drive = parse_drive(conf[key])
    if drive_is_cdrom(drive):
        if drive_is_cloudinit(drive):
            free_volume(st, drive['file'], out)
    elif force:
        free_volume(st, drive.get('file', ''), out)
    else:
        value = conf[key]
        del conf[key]
        register_unused(st, conf, value, out)
        return
    del conf[key]


def apply_pending(st, vm, out, only=None):
    """vmconfig_apply_pending (only=None) or the hotplug subset (only=set of keys)."""
    conf = vm['conf']
    remaining_del = []
    for key in vm['pending_delete']:
        if only is not None and key not in only:
            remaining_del.append(key)
            continue
        if key not in conf:
            continue
        if UNUSED_RE.match(key):
            free_volume(st, parse_drive(conf[key]).get('file', ''), out)
            del conf[key]
        elif DRIVE_RE.match(key):
            delete_or_detach_drive(st, conf, key, vm.get('pending_force', {}).get(key, False), out)
        else:
            del conf[key]
    vm['pending_delete'] = remaining_del
    remaining = {}
    for key, value in vm['pending'].items():
        if only is not None and key not in only:
            remaining[key] = value
            continue
        if DRIVE_RE.match(key):
            newfile = parse_drive(value).get('file')
            if key in conf and parse_drive(conf[key]).get('file') != newfile:
                register_unused(st, conf, conf[key], out)
            for k in [k for k in conf if UNUSED_RE.match(k) and parse_drive(conf[k]).get('file') == newfile]:
                del conf[k]
        conf[key] = value
    vm['pending'] = remaining
    if not vm['pending_delete']:
        vm.pop('pending_force', None)


def hotpluggable(vm, key, value, deleting):
    conf = vm['conf']
    features = hotplug_features(conf)
    if key in FAST_PLUG or IPCONFIG_RE.match(key):
        return True
    if NET_RE.match(key):
        return 'network' in features
    if key in ('efidisk0', 'tpmstate0'):
        return False
    if DRIVE_RE.match(key):
        if key.startswith(('scsi', 'virtio')):
            return 'disk' in features
        drive = parse_drive(conf.get(key, '') if deleting else value)
        return drive_is_cdrom(drive) and not deleting
    if key in ('cpuunits', 'cpulimit'):
        return True
    if key == 'memory':
        return 'memory' in features
    if key == 'vcpus':
        return 'cpu' in features
    return False


def cleanup_pending(vm):
    conf = vm['conf']
    for k in list(vm['pending']):
        if conf.get(k) == vm['pending'][k]:
            del vm['pending'][k]
    vm['pending_delete'] = [k for k in vm['pending_delete'] if k in conf]


def qm_set(args, usage):
    (vmid_s,), opts = parse_args(
        args, ['vmid'], bool_opts=BOOL_KEYS | {'force', 'skiplock'}, int_opts=set(INT_KEYS),
        known=lambda n: qm_config_known(n) or n in ('delete', 'revert', 'force', 'skiplock', 'digest'),
        usage=usage)
    vmid = check_vmid(vmid_s, usage)
    delete_str = opts.pop('delete', None)
    revert_str = opts.pop('revert', None)
    force_str = opts.pop('force', None)
    force = force_str == '1'
    skiplock = opts.pop('skiplock', None)
    digest = opts.pop('digest', None)
    st = State(True)
    params = normalize_params(st, vmid, opts, usage, False)
    paramarr = []
    printable = dict(params)  # upstream logs every parameter but node, vmid and digest
    for k, v in (('delete', delete_str), ('revert', revert_str), ('force', force_str), ('skiplock', skiplock)):
        if v is not None:
            printable[k] = v
    for k in sorted(printable):
        paramarr += [f'-{k}', '<hidden>' if k == 'cipassword' else printable[k]]
    if not delete_str and not revert_str and not params:
        raise PveError('no options specified')
    deletes = []
    for opt in [x for x in re.split(r'[,;\s]+', delete_str or '') if x]:
        opt = 'ide2' if opt == 'cdrom' else opt
        if opt in params:
            raise ParamError({'delete': f"you can't use '-{opt}' and -delete {opt}' at the same time"}
                             ).with_usage(usage)
        if not is_config_key(opt):
            raise ParamError({'delete': f"unknown option '{opt}'"}).with_usage(usage)
        deletes.append(opt)
    reverts = [x for x in re.split(r'[,;\s]+', revert_str or '') if x]
    vm = load_vm(st, vmid)
    conf = vm['conf']
    if digest and digest != config_digest(vm):
        raise PveError('checksum mismatch (file change by other user?)')
    if conf.get('lock'):
        raise PveError(f"VM is locked ({conf['lock']})")
    print(f'update VM {vmid}: ' + ' '.join(paramarr))
    out = []
    order = boot_order(conf)
    for opt in reverts:
        vm['pending'].pop(opt, None)
        if opt in vm['pending_delete']:
            vm['pending_delete'].remove(opt)
    for opt in deletes:
        val = conf.get(opt, vm['pending'].get(opt))
        if val is None:
            warn(f"cannot delete '{opt}' - not set in current configuration!")
            continue
        if conf.get('protection') == '1' and (DRIVE_RE.match(opt) or UNUSED_RE.match(opt)):
            raise PveError(f"can't remove drive '{opt}' - protection mode enabled")
        if opt in vm['pending']:
            pending_val = vm['pending'].pop(opt)
            if DRIVE_RE.match(opt):
                register_unused(st, conf, pending_val, out)
        if order and opt in order:
            order = [d for d in order if d != opt]
            vm['pending']['boot'] = 'order=' + ';'.join(order)
        if opt in conf and opt not in vm['pending_delete']:
            vm['pending_delete'].append(opt)
            if force:
                vm.setdefault('pending_force', {})[opt] = True
    try:
        for opt in sorted(params):
            value = params[opt]
            if vm['pending'].get(opt) == value:
                continue
            if opt == 'cipassword':
                conf['cipassword'] = value
                continue
            if DRIVE_RE.match(opt):
                if opt in vm['pending']:
                    register_unused(st, conf, vm['pending'].pop(opt), out)
                if conf.get(opt) and parse_drive(conf[opt]).get('file') == parse_drive(value).get('file') \
                        and 'size' not in parse_drive(value) and 'size' in parse_drive(conf[opt]):
                    d = parse_drive(value)
                    d['size'] = parse_drive(conf[opt])['size']
                    value = print_drive(d)
                else:
                    value = create_disk(st, vmid, opt, value, out)
                if order and drive_is_cdrom(parse_drive(value)) and opt not in order:
                    order.append(opt)
                    vm['pending']['boot'] = 'order=' + ';'.join(order)
            if opt == 'boot':
                cfg = parse_propstr(value, 'legacy')
                if 'order' in cfg:
                    devs = [x for x in re.split(r'[;,\s]+', cfg['order']) if x]
                    for dev in devs:
                        exists = conf.get(dev) or vm['pending'].get(dev) or params.get(dev)
                        if not exists or dev in deletes:
                            raise PveError(f"invalid bootorder: device '{dev}' does not exist'")
                    value = 'order=' + ';'.join(devs)
                    order = devs
            vm['pending'][opt] = value
            if opt in vm['pending_delete']:
                vm['pending_delete'].remove(opt)
    except PveError:
        st.save_volumes()
        st.save_vm(vm)
        if out:
            sys.stdout.write('\n'.join(out) + '\n')
        raise
    cleanup_pending(vm)
    if vm.get('running'):
        hot = set()
        for k, v in vm['pending'].items():
            if hotpluggable(vm, k, v, False):
                hot.add(k)
        for k in vm['pending_delete']:
            if hotpluggable(vm, k, None, True):
                hot.add(k)
        apply_pending(st, vm, out, only=hot)
    else:
        apply_pending(st, vm, out)
    cleanup_pending(vm)
    if not vm['pending_delete']:
        vm.pop('pending_force', None)
    st.save_volumes()
    st.save_vm(vm)
    if out:
        sys.stdout.write('\n'.join(out) + '\n')
    return 0


def config_text(conf):
    lines = []
    for k in sorted(conf):
        v = conf[k]
        if k == 'description':
            v = encode_text(v)
        lines.append(f'{k}: {v}')
    return '\n'.join(lines) + ('\n' if lines else '')


def config_digest(vm):
    return hashlib.sha1(json.dumps([vm['conf'], vm['pending'], vm['pending_delete']], sort_keys=True)
                        .encode()).hexdigest()


def qm_config(args, usage):
    (vmid_s,), opts = parse_args(args, ['vmid'], bool_opts=('current',),
                                 known=lambda n: n in ('current', 'snapshot'), usage=usage)
    vmid = check_vmid(vmid_s, usage)
    if opts.get('snapshot') and opts.get('current') == '1':
        raise ParamError({'snapshot': "cannot use 'snapshot' parameter with 'current'",
                          'current': "cannot use 'snapshot' parameter with 'current'"}).with_usage(usage)
    st = State(False)
    vm = load_vm(st, vmid)
    if opts.get('snapshot'):
        raise PveError(f"snapshot '{opts['snapshot']}' does not exist")
    conf = dict(vm['conf']) if opts.get('current') == '1' else merged_conf(vm)
    if conf.get('cipassword'):
        conf['cipassword'] = '**********'
    sys.stdout.write(config_text(conf))
    return 0


def qm_pending(args, usage):
    (vmid_s,), _ = parse_args(args, ['vmid'], known=lambda n: False, usage=usage)
    vmid = check_vmid(vmid_s, usage)
    st = State(False)
    vm = load_vm(st, vmid)
    conf = dict(vm['conf'])
    pending = dict(vm['pending'])
    if 'cipassword' in conf:
        conf['cipassword'] = '**********'
    keys = sorted(set(conf) | set(pending))
    lines = []
    for k in keys:
        v = conf.get(k)
        p = pending.get(k)
        if k == 'description':
            v = encode_text(v) if v is not None else None
            p = encode_text(p) if p is not None else None
        if v is not None:
            if k in vm['pending_delete']:
                lines.append(f'del {k}: {v}')
            elif p is not None:
                lines.append(f'cur {k}: {v}')
                lines.append(f'new {k}: {p}')
            else:
                lines.append(f'cur {k}: {v}')
        elif p is not None:
            lines.append(f'new {k}: {p}')
    sys.stdout.write('\n'.join(lines) + ('\n' if lines else ''))
    return 0


def qm_status(args, usage):
    (vmid_s,), opts = parse_args(args, ['vmid'], bool_opts=('verbose',), known=lambda n: n == 'verbose',
                                 usage=usage)
    vmid = check_vmid(vmid_s, usage)
    st = State(False)
    vm = load_vm(st, vmid)
    stat = vm_status_record(vm, full=True)
    if opts.get('verbose') == '1':
        if agent_enabled(vm['conf']):
            stat['agent'] = 1
        lines = []
        for k in sorted(stat):
            if k in ('cpu', 'relcpu'):
                continue
            lines.append(f'{k}: {stat[k]}')
        sys.stdout.write('\n'.join(lines) + '\n')
    else:
        print(f"status: {stat.get('qmpstatus') or 'unknown'}")
    return 0


def cloudinit_drives(conf):
    return [k for k in DRIVE_ORDER if k in conf and drive_is_cloudinit(parse_drive(conf[k]))]


def do_start(st, vm):
    if vm.get('running'):
        raise PveError(f"VM {vm['vmid']} already running")
    conf = vm['conf']
    if conf.get('template') == '1':
        raise PveError("you can't start a vm if it's a template")
    out = []
    apply_pending(st, vm, out)
    vm.pop('pending_force', None)
    conf = vm['conf']
    mappings = st.mappings().get('dir', {})
    node = nodename()
    for k in sorted(conf):
        if re.match(r'^virtiofs\d$', k):
            dirid = parse_propstr(conf[k], 'dirid').get('dirid')
            entry = mappings.get(dirid)
            if entry is None:
                raise PveError(f'Directory ID {dirid} does not exist.')
            nodes = [parse_propstr(m, None).get('node') for m in entry.get('map', [])]
            if nodes.count(node) == 0:
                raise PveError(f'No directory mapping for node {node}.')
            if nodes.count(node) > 1:
                raise PveError(f'More than than one directory mapping for node {node}.')
    if cloudinit_drives(conf):
        out.append('generating cloud-init ISO')
    vm['running'] = True
    vm['pid'] = random.randint(2000, 4000000)
    vm['started'] = time.time()
    st.save_volumes()
    st.save_vm(vm)
    if out:
        sys.stdout.write('\n'.join(out) + '\n')


def qm_start(args, usage):
    (vmid_s,), _ = parse_args(
        args, ['vmid'], bool_opts=('skiplock', 'with-conntrack-state'), int_opts=('timeout',),
        known=lambda n: n in ('skiplock', 'timeout', 'machine', 'force-cpu', 'stateuri', 'migratedfrom',
                              'migration_type', 'migration_network', 'targetstorage', 'with-conntrack-state',
                              'nets-host-mtu'), usage=usage)
    vmid = check_vmid(vmid_s, usage)
    st = State(True)
    vm = st.vm(vmid)
    if vm is None:
        raise PveError(config_missing(vmid).msg, 255)  # raised inside the task worker: exit -1
    do_start(st, vm)
    return 0


def qm_stop_like(args, usage, kind):
    (vmid_s,), _ = parse_args(
        args, ['vmid'], bool_opts=('skiplock', 'keepActive', 'forceStop', 'overrule-shutdown'),
        int_opts=('timeout',),
        known=lambda n: n in ('skiplock', 'keepActive', 'forceStop', 'timeout', 'overrule-shutdown',
                              'migratedfrom'), usage=usage)
    vmid = check_vmid(vmid_s, usage)
    st = State(True)
    vm = st.vm(vmid)
    if vm is None:
        raise PveError(config_missing(vmid).msg, 255)  # task worker
    if vm.get('running'):
        vm['running'] = False
        vm['pid'] = None
        vm['started'] = None
        st.save_vm(vm)
    return 0


def qm_stop(args, usage):
    return qm_stop_like(args, usage, 'stop')


def qm_shutdown(args, usage):
    return qm_stop_like(args, usage, 'shutdown')


def qm_reboot(args, usage):
    (vmid_s,), _ = parse_args(args, ['vmid'], int_opts=('timeout',), known=lambda n: n == 'timeout', usage=usage)
    vmid = check_vmid(vmid_s, usage)
    st = State(True)
    vm = load_vm(st, vmid)
    if not vm.get('running'):
        raise PveError(f'VM {vmid} not running')
    vm['running'] = False
    do_start(st, vm)
    return 0


def qm_destroy(args, usage):
    (vmid_s,), opts = parse_args(
        args, ['vmid'], bool_opts=('purge', 'skiplock', 'destroy-unreferenced-disks'),
        known=lambda n: n in ('purge', 'skiplock', 'destroy-unreferenced-disks'), usage=usage)
    vmid = check_vmid(vmid_s, usage)
    st = State(True)
    vm = load_vm(st, vmid)
    conf = vm['conf']
    if conf.get('protection') == '1':
        raise PveError(f"can't remove VM {vmid} - protection mode enabled")
    if vm.get('running'):
        raise PveError(f'VM {vmid} is running - destroy failed')
    out = []
    volids = set()
    for source in (conf, vm['pending']):
        for k, v in source.items():
            if DRIVE_RE.match(k) or UNUSED_RE.match(k):
                f = parse_drive(v).get('file', '')
                info = volume_info(st, f)
                if info is not None and info['vmid'] == vmid:
                    volids.add(f)
    if opts.get('destroy-unreferenced-disks') == '1':
        for volid, info in st.volumes().items():
            if info['vmid'] == vmid:
                volids.add(volid)
    for volid in sorted(volids):
        free_volume(st, volid, out)
    if opts.get('purge') == '1':
        out.append(f'purging VM {vmid} from related configurations..')
    st.save_volumes()
    st.delete_vm(vmid)
    if out:
        sys.stdout.write('\n'.join(out) + '\n')
    return 0


def qm_unlock(args, usage):
    (vmid_s,), _ = parse_args(args, ['vmid'], known=lambda n: False, usage=usage)
    vmid = check_vmid(vmid_s, usage)
    st = State(True)
    vm = load_vm(st, vmid)
    vm['conf'].pop('lock', None)
    vm['pending'].pop('lock', None)
    st.save_vm(vm)
    return 0


def qm_rescan(args, usage):
    parse_args(args, [], bool_opts=('dryrun',), known=lambda n: n in ('vmid', 'dryrun'), usage=usage)
    return 0


def qm_importdisk(args, usage):
    (vmid_s, source, storeid), opts = parse_args(
        args, ['vmid', 'source', 'storage'], known=lambda n: n in ('format', 'target-disk'), usage=usage)
    vmid = check_vmid(vmid_s, usage)
    if opts.get('format') and opts['format'] not in ('raw', 'qcow2', 'vmdk'):
        raise ParamError({'format': f"value '{opts['format']}' does not have a value in the enumeration "
                                    f"'raw, qcow2, vmdk'"}).with_usage(usage)
    st = State(True)
    vm = load_vm(st, vmid)
    conf = vm['conf']
    if conf.get('lock'):
        raise PveError(f"VM is locked ({conf['lock']})")
    if not os.path.isfile(source):
        raise PveError(f'{source}: non-existent or non-regular file', 2 if not os.path.exists(source) else 255)
    scfg = storage_config(st, storeid)
    if scfg.get('disable') == '1':
        raise PveError(f"storage '{storeid}' is disabled")
    if 'images' not in storage_content(scfg):
        raise PveError(f'storage {storeid} does not support vm images')
    print(f"importing disk '{source}' to VM {vmid} ...")
    out = []
    size = image_virtual_size(source)
    used = min(os.path.getsize(source), size)
    volid = alloc_volume(st, storeid, vmid, size, opts.get('format') if scfg['type'] == 'dir' else None, None,
                         used, out)
    out.append(fmt_transferred(size))
    target = opts.get('target-disk')
    drive_value = f'{volid},size={format_size(size)}'
    if target and DRIVE_RE.match(target):
        if target in conf:
            register_unused(st, conf, conf[target], out)
        conf[target] = drive_value
        key = target
    else:
        i = 0
        while f'unused{i}' in conf:
            i += 1
        key = f'unused{i}'
        conf[key] = volid
    st.save_volumes()
    st.save_vm(vm)
    out.append(f"{key}: successfully imported disk '{conf[key]}'")
    sys.stdout.write('\n'.join(out) + '\n')
    return 0


def qm_resize(args, usage):
    (vmid_s, disk, sizestr), opts = parse_args(
        args, ['vmid', 'disk', 'size'], bool_opts=('skiplock',), known=lambda n: n in ('skiplock', 'digest'),
        usage=usage)
    vmid = check_vmid(vmid_s, usage)
    if not DRIVE_RE.match(disk):
        raise ParamError({'disk': f"value '{disk}' does not have a value in the enumeration "
                                  f"'{', '.join(DRIVE_ORDER + ['efidisk0', 'tpmstate0'])}'"}).with_usage(usage)
    m = re.match(r'^(\+)?(\d+(?:\.\d+)?)([KMGT])?$', sizestr)
    if not m:
        raise ParamError({'size': "value does not match the regex pattern"}).with_usage(usage)
    st = State(True)
    vm = load_vm(st, vmid)
    conf = vm['conf']
    if conf.get('lock'):
        raise PveError(f"VM is locked ({conf['lock']})")
    if disk not in conf:
        raise PveError(f"disk '{disk}' has no associated volume")
    drive = parse_drive(conf[disk])
    if drive_is_cdrom(drive):
        raise PveError("you can't resize a cdrom")
    volid = drive.get('file', '')
    info = volume_info(st, volid)
    size = info['size'] if info else parse_size(drive.get('size', '0')) or 0
    if not size:
        raise PveError(f"Could not determine current size of volume '{volid}'")
    num = float(m.group(2)) * {None: 1, 'K': KiB, 'M': MiB, 'G': GiB, 'T': TiB}[m.group(3)]
    newsize = int(size + num) if m.group(1) else int(num)
    if newsize < size:
        raise PveError('shrinking disks is not supported')
    if newsize == size:
        return 0
    out = []
    if info is not None:
        info['size'] = newsize
        scfg = st.storages().get(info['storage'], {})
        if scfg.get('type') == 'lvmthin':
            name = volid.split(':', 1)[1]
            vg = scfg.get('vgname', 'pve')
            ext = lambda b: b // (4 * MiB)
            out.append(f'  Size of logical volume {vg}/{name} changed from {size / GiB:.2f} GiB ({ext(size)} extents) '
                       f'to {newsize / GiB:.2f} GiB ({ext(newsize)} extents).')
            out.append(f'  Logical volume {vg}/{name} successfully resized.')
    drive['size'] = format_size(newsize)
    conf[disk] = print_drive(drive)
    st.save_volumes()
    st.save_vm(vm)
    if out:
        sys.stdout.write('\n'.join(out) + '\n')
    return 0


def split_ip4(ip):
    addr, _, mask = ip.partition('/')
    if not mask:
        raise PveError(f'not a CIDR: {ip}')
    bits = int(mask)
    m = (0xffffffff << (32 - bits)) & 0xffffffff if bits else 0
    return addr, '.'.join(str((m >> s) & 255) for s in (24, 16, 8, 0))


def cloudinit_userdata(conf, vmid):
    hostname = conf.get('name', f'VM{vmid}')
    if '.' in hostname:
        fqdn = hostname
        hostname = hostname.split('.')[0]
    elif conf.get('searchdomain'):
        fqdn = f"{hostname}.{conf['searchdomain']}"
    else:
        fqdn = hostname
    c = '#cloud-config\n'
    c += f'hostname: {hostname}\n'
    c += 'manage_etc_hosts: true\n'
    c += f'fqdn: {fqdn}\n'
    user = conf.get('ciuser')
    if user is not None:
        c += f'user: {user}\n'
        if user == 'root':
            c += 'disable_root: False\n'
    if conf.get('cipassword') is not None:
        c += f"password: {conf['cipassword']}\n"
    if conf.get('sshkeys') is not None:
        keys = [k for k in uri_unescape(conf['sshkeys']).split('\n') if k.strip()]
        c += 'ssh_authorized_keys:\n'
        for k in keys:
            c += f'  - {k}\n'
    c += 'chpasswd:\n'
    c += '  expire: False\n'
    if user is None or user != 'root':
        c += 'users:\n'
        c += '  - default\n'
    if conf.get('ciupgrade') is None or conf.get('ciupgrade') == '1':
        c += 'package_upgrade: true\n'
    return c


def dns_conf(conf):
    host_search, host_dns = resolv_conf()
    search = conf.get('searchdomain', host_search)
    searchdomains = search.split() if search else []
    if conf.get('nameserver') is None:
        nameservers = host_dns
    else:
        nameservers = conf['nameserver'].split()
    return searchdomains, nameservers


def nocloud_network(conf):
    c = 'version: 1\nconfig:\n'
    for iface in sorted(k for k in conf if NET_RE.match(k)):
        nid = iface[3:]
        if not conf.get(f'ipconfig{nid}'):
            continue
        i = '    '
        net = parse_net(conf[iface])
        ipc = parse_propstr(conf[f'ipconfig{nid}'], None)
        c += f"{i}- type: physical\n{i}  name: eth{nid}\n{i}  mac_address: '{net['macaddr'].lower()}'\n{i}  subnets:\n"
        i += '  '
        if ipc.get('ip') is not None:
            if ipc['ip'] == 'dhcp':
                c += f'{i}- type: dhcp4\n'
            else:
                addr, mask = split_ip4(ipc['ip'])
                c += f"{i}- type: static\n{i}  address: '{addr}'\n{i}  netmask: '{mask}'\n"
                if ipc.get('gw') is not None:
                    c += f"{i}  gateway: '{ipc['gw']}'\n"
        if ipc.get('ip6') is not None:
            if ipc['ip6'] == 'dhcp':
                c += f'{i}- type: dhcp6\n'
            elif ipc['ip6'] == 'auto':
                c += f'{i}- type: ipv6_slaac\n'
            else:
                c += f"{i}- type: static6\n{i}  address: '{ipc['ip6']}'\n"
                if ipc.get('gw6') is not None:
                    c += f"{i}  gateway: '{ipc['gw6']}'\n"
    i = '    '
    searchdomains, nameservers = dns_conf(conf)
    c += f'{i}- type: nameserver\n'
    if nameservers:
        c += f'{i}  address:\n' + ''.join(f"{i}  - '{n}'\n" for n in nameservers)
    if searchdomains:
        c += f'{i}  search:\n' + ''.join(f"{i}  - '{s}'\n" for s in searchdomains)
    return c


def qm_cloudinit_dump(args, usage):
    (vmid_s, ctype), _ = parse_args(args, ['vmid', 'type'], known=lambda n: False, usage=usage)
    vmid = check_vmid(vmid_s, usage)
    if ctype not in ('user', 'network', 'meta'):
        raise ParamError({'type': f"value '{ctype}' does not have a value in the enumeration "
                                  f"'user, network, meta'"}).with_usage(usage)
    st = State(False)
    vm = load_vm(st, vmid)
    conf = vm['conf']
    citype = conf.get('citype', 'nocloud')
    if citype != 'nocloud':
        raise PveError(f"pve-simulator: cloud-init type '{citype}' is not simulated (only nocloud)")
    user = cloudinit_userdata(conf, vmid)
    if ctype == 'user':
        text = user
    elif ctype == 'network':
        text = nocloud_network(conf)
    else:
        text = f'instance-id: {hashlib.sha1((user + nocloud_network(conf)).encode()).hexdigest()}\n'
    sys.stdout.write(text + '\n')
    return 0


def qm_cloudinit_update(args, usage):
    (vmid_s,), _ = parse_args(args, ['vmid'], known=lambda n: False, usage=usage)
    vmid = check_vmid(vmid_s, usage)
    st = State(True)
    vm = load_vm(st, vmid)
    if cloudinit_drives(vm['conf']):
        print('generating cloud-init ISO')
    return 0


def guest_interfaces(vm):
    conf = vm['conf']
    res = [{'name': 'lo', 'hardware-address': '00:00:00:00:00:00', 'statistics': {},
            'ip-addresses': [{'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', 'prefix': 8},
                             {'ip-address': '::1', 'ip-address-type': 'ipv6', 'prefix': 128}]}]
    for iface in sorted(k for k in conf if NET_RE.match(k)):
        nid = iface[3:]
        net = parse_net(conf[iface])
        addrs = []
        ipc = parse_propstr(conf.get(f'ipconfig{nid}', ''), None)
        if ipc.get('ip') and ipc['ip'] != 'dhcp':
            addr, _, prefix = ipc['ip'].partition('/')
            addrs.append({'ip-address': addr, 'ip-address-type': 'ipv4', 'prefix': int(prefix)})
        res.append({'name': f'eth{nid}', 'hardware-address': net['macaddr'].lower(), 'ip-addresses': addrs,
                    'statistics': {}})
    return res


def print_agent_result(result):
    if result is None:
        return
    if isinstance(result, str):
        if result.strip():
            print(result.rstrip('\n'))
        return
    if isinstance(result, dict) and not result:
        return
    sys.stdout.write(perl_json_pretty(result))


def qm_guest_cmd(args, usage):
    (vmid_s, command), _ = parse_args(args, ['vmid', 'command'], known=lambda n: False, usage=usage)
    vmid = check_vmid(vmid_s, usage)
    if command not in GUEST_COMMANDS:
        raise ParamError({'command': f"value '{command}' does not have a value in the enumeration "
                                     f"'{', '.join(GUEST_COMMANDS)}'"}).with_usage(usage)
    st = State(command == 'shutdown')
    vm = load_vm(st, vmid)
    conf = vm['conf']
    if not agent_enabled(conf):
        raise PveError('No QEMU guest agent configured')
    if not vm.get('running'):
        raise PveError(f'VM {vmid} is not running')
    delay = float(st.settings().get('agent_delay_seconds', 0) or 0)
    if vm.get('started') and time.time() - vm['started'] < delay:
        raise PveError('QEMU guest agent is not running')
    name = conf.get('name', f'VM{vmid}')
    if command == 'ping':
        result = {}
    elif command == 'get-host-name':
        result = {'host-name': name.split('.')[0]}
    elif command == 'info':
        result = {'version': '8.2.2', 'supported_commands': [
            {'name': f'guest-{c}', 'enabled': True, 'success-response': True} for c in sorted(GUEST_COMMANDS)]}
    elif command == 'get-osinfo':
        result = {'id': 'ubuntu', 'kernel-release': '6.8.0-49-generic', 'kernel-version': '#49-Ubuntu SMP',
                  'machine': 'x86_64', 'name': 'Ubuntu', 'pretty-name': 'Ubuntu 24.04.1 LTS',
                  'version': '24.04.1 LTS (Noble Numbat)', 'version-id': '24.04'}
    elif command == 'network-get-interfaces':
        result = guest_interfaces(vm)
    elif command == 'shutdown':
        vm['running'] = False
        vm['pid'] = None
        vm['started'] = None
        st.save_vm(vm)
        result = {}
    else:
        raise PveError(f"pve-simulator: guest agent command '{command}' is not simulated (see {README})")
    print_agent_result(result)
    return 0


QM_COMMANDS = {
    'list': qm_list, 'create': qm_create, 'set': qm_set, 'config': qm_config, 'pending': qm_pending,
    'status': qm_status, 'start': qm_start, 'stop': qm_stop, 'shutdown': qm_shutdown, 'reboot': qm_reboot,
    'destroy': qm_destroy, 'unlock': qm_unlock, 'rescan': qm_rescan, 'importdisk': qm_importdisk,
    'resize': qm_resize, 'cloudinit dump': qm_cloudinit_dump, 'cloudinit update': qm_cloudinit_update,
    'guest cmd': qm_guest_cmd,
}


# ----------------------------------------------------------------------------------------
# pvesm

PVESM_REAL_COMMANDS = ['add', 'alloc', 'apiinfo', 'cifsscan', 'export', 'extractconfig', 'free',
                       'glusterfsscan', 'help', 'import', 'iscsiscan', 'list', 'lvmscan', 'lvmthinscan',
                       'nfsscan', 'path', 'prune-backups', 'remove', 'scan', 'set', 'status', 'zfsscan']
PVESM_USAGE = {
    'status': 'pvesm status  [OPTIONS]',
    'list': 'pvesm list <storage> [OPTIONS]',
    'path': 'pvesm path <volume>',
    'add': 'pvesm add <type> <storage> [OPTIONS]',
    'set': 'pvesm set <storage> [OPTIONS]',
    'remove': 'pvesm remove <storage>',
}
PVESM_HELP = {
    'status': 'Get status for all datastores.',
    'list': 'List storage content.',
    'path': 'Get filesystem path for specified volume.',
    'add': 'Create a new storage (simulated types: dir, lvmthin, zfspool).',
    'set': 'Update storage configuration (content, path, disable, ...).',
    'remove': 'Delete storage configuration.',
}
STORAGE_OPTS = ('path', 'content', 'vgname', 'thinpool', 'pool', 'disable', 'shared', 'nodes', 'mkdir',
                'is_mountpoint', 'sparse', 'blocksize', 'format', 'size', 'prune-backups', 'create-base-path',
                'create-subdirs')


def storage_status(st, storeid, scfg):
    stype = scfg['type']
    res = {'storage': storeid, 'type': stype, 'content': scfg.get('content', ''),
           'enabled': 0 if scfg.get('disable') == '1' else 1, 'shared': int(scfg.get('shared', 0) or 0),
           'active': 0, 'total': 0, 'used': 0, 'avail': 0}
    if not res['enabled']:
        return res
    if stype == 'dir':
        d = df(scfg['path']) if os.path.isdir(scfg.get('path', '')) else None
        if d:
            res.update(active=1, total=d['total'], used=d['used'], avail=d['avail'])
    elif stype == 'zfspool':
        d = df('/' + scfg.get('pool', ''))
        if d and os.path.isdir('/' + scfg.get('pool', '')):
            res.update(active=1, total=d['total'], used=d['used'], avail=d['avail'])
    else:
        total = int(scfg.get('size', 100 * GiB))
        used = sum(v.get('used', 0) for v in st.volumes().values() if v['storage'] == storeid)
        res.update(active=1, total=total, used=used, avail=max(total - used, 0))
    if res['total']:
        res['used_fraction'] = res['used'] / res['total']
    return res


def pvesm_status(args, usage):
    _, opts = parse_args(args, [], bool_opts=('enabled',),
                         known=lambda n: n in ('storage', 'content', 'enabled', 'target', 'format'), usage=usage)
    st = State(False)
    storages = st.storages()
    if opts.get('storage') and opts['storage'] not in storages:
        raise PveError(f"storage '{opts['storage']}' does not exist")
    rows = []
    for storeid in sorted(storages):
        scfg = storages[storeid]
        if opts.get('storage') and storeid != opts['storage']:
            continue
        if opts.get('content') and not (set(opts['content'].split(',')) & storage_content(scfg)):
            continue
        if opts.get('enabled') == '1' and scfg.get('disable') == '1':
            continue
        rows.append(storage_status(st, storeid, scfg))
    maxlen = max([len(r['storage']) for r in rows] + [0]) + 1
    out = ['%-*s %10s %10s %15s %15s %15s %8s' % (maxlen, 'Name', 'Type', 'Status', 'Total', 'Used',
                                                   'Available', '%')]
    for r in rows:
        active = 'active' if r['active'] else 'inactive'
        per = (r['used'] * 100) / r['total'] if r['total'] > 0 else 0
        if not r['enabled']:
            out.append('%-*s %10s %10s %15d %15d %15d %8s' % (maxlen, r['storage'], r['type'], 'disabled',
                                                              r['total'] // 1024, r['used'] // 1024,
                                                              r['avail'] // 1024, 'N/A'))
        else:
            out.append('%-*s %10s %10s %15d %15d %15d % 7.2f%%' % (maxlen, r['storage'], r['type'], active,
                                                                   r['total'] // 1024, r['used'] // 1024,
                                                                   r['avail'] // 1024, per))
    sys.stdout.write('\n'.join(out) + '\n')
    return 0


def storage_file_list(scfg, storeid):
    """Files on a dir storage (iso, vztmpl, backup, snippets, import), like the real plugin lists them."""
    base = scfg.get('path')
    res = []
    if not base or not os.path.isdir(base):
        return res
    content = storage_content(scfg)
    specs = [('iso', 'template/iso', r'\.(?:iso|img)$', 'iso'),
             ('vztmpl', 'template/cache', r'\.tar\.(?:gz|xz|zst|bz2)$', None),
             ('backup', 'dump', r'^vzdump-.*\.(?:tgz|tar|vma)(?:\.(?:gz|lzo|zst))?$', None),
             ('snippets', 'snippets', r'.', 'snippet'),
             ('import', 'import', r'\.(?:ova|ovf|qcow2|raw|vmdk|img)$', None)]
    for ctype, sub, pattern, fmt in specs:
        if ctype not in content:
            continue
        d = os.path.join(base, sub)
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        for name in names:
            p = os.path.join(d, name)
            if not os.path.isfile(p) or not re.search(pattern, name):
                continue
            f = fmt
            if f is None:
                if ctype == 'vztmpl':
                    f = {'gz': 'tgz', 'xz': 'txz', 'zst': 'tzst', 'bz2': 'tbz2'}[name.rsplit('.', 1)[1]]
                elif ctype == 'backup':
                    f = name.split('.', 1)[1] if '.' in name else 'vma'
                else:
                    f = name.rsplit('.', 1)[1]
            info = {'volid': f'{storeid}:{ctype}/{name}', 'format': f, 'content': ctype, 'size': os.path.getsize(p)}
            if ctype == 'backup' and (m := re.match(r'^vzdump-(?:qemu|lxc)-(\d+)-', name)):
                info['vmid'] = int(m.group(1))
            res.append(info)
    return res


def pvesm_list(args, usage):
    (storeid,), opts = parse_args(args, ['storage'], int_opts=('vmid',),
                                  known=lambda n: n in ('content', 'vmid'), usage=usage)
    st = State(False)
    scfg = storage_config(st, storeid)
    items = []
    for volid, info in sorted(st.volumes().items()):
        if info['storage'] != storeid:
            continue
        items.append({'volid': volid, 'format': info['format'], 'content': info['content'], 'size': info['size'],
                      'vmid': info['vmid']})
    if scfg['type'] == 'dir':
        items += storage_file_list(scfg, storeid)
    if opts.get('content'):
        items = [i for i in items if i['content'] == opts['content']]
    if opts.get('vmid'):
        items = [i for i in items if i.get('vmid') == int(opts['vmid'])]
    items.sort(key=lambda i: i['volid'])
    maxlen = max([len(i['volid']) for i in items] + [0])
    maxsize = max([i.get('size') or 0 for i in items] + [0])
    digits = len(str(maxsize))
    out = ['%-*s %-7s %-9s %*s %s' % (maxlen, 'Volid', 'Format', 'Type', digits, 'Size', 'VMID')]
    for i in items:
        if i.get('vmid'):
            out.append('%-*s %-7s %-9s %*s %d' % (maxlen, i['volid'], i['format'], i['content'], digits, i['size'],
                                                  i['vmid']))
    for i in sorted(items, key=lambda i: i['format']):
        if not i.get('vmid'):
            out.append('%-*s %-7s %-9s %*s' % (maxlen, i['volid'], i['format'], i['content'], digits, i['size']))
    sys.stdout.write('\n'.join(out) + '\n')
    return 0


def pvesm_path(args, usage):
    (volid,), _ = parse_args(args, ['volume'], known=lambda n: False, usage=usage)
    st = State(False)
    if ':' not in volid:
        raise ParamError({'volume': f"unable to parse volume ID '{volid}'"}).with_usage(usage)
    storeid, volname = volid.split(':', 1)
    scfg = storage_config(st, storeid)
    if scfg['type'] == 'lvmthin':
        print(f"/dev/{scfg.get('vgname', 'pve')}/{volname}")
    elif scfg['type'] == 'zfspool':
        print(f"/dev/zvol/{scfg.get('pool')}/{volname}")
    else:
        print(storage_file_path(st, volid))
    return 0


def pvesm_add(args, usage):
    (stype, storeid), opts = parse_args(args, ['type', 'storage'], known=lambda n: n in STORAGE_OPTS,
                                        usage=usage)
    if stype not in ('dir', 'lvmthin', 'zfspool'):
        raise PveError(f"pve-simulator: storage type '{stype}' is not simulated (see {README})")
    if not re.match(r'^[a-z][a-z0-9\-_.]*[a-z0-9]$', storeid, re.I):
        raise ParamError({'storage': f"invalid format - storage ID '{storeid}' contains illegal characters"}
                         ).with_usage(usage)
    required = {'dir': ['path'], 'lvmthin': ['vgname', 'thinpool'], 'zfspool': ['pool']}[stype]
    missing = {k: 'property is missing and it is not optional' for k in required if k not in opts}
    if missing:
        raise ParamError(missing).with_usage(usage)
    st = State(True)
    storages = st.storages()
    if storeid in storages:
        raise PveError(f"create storage failed: storage ID '{storeid}' already defined")
    scfg = {'type': stype}
    scfg.update(opts)
    scfg.setdefault('content', 'images,rootdir')
    if stype == 'dir' and opts.get('mkdir', '1') == '1' and opts.get('create-base-path', '1') == '1':
        os.makedirs(opts['path'], exist_ok=True)
    storages[storeid] = scfg
    st.save('storages.json', storages)
    return 0


def pvesm_set(args, usage):
    (storeid,), opts = parse_args(args, ['storage'],
                                  known=lambda n: n in STORAGE_OPTS + ('delete', 'digest'), usage=usage)
    st = State(True)
    storages = st.storages()
    if storeid not in storages:
        raise PveError(f"update storage failed: error with cfs lock 'storage': storage '{storeid}' does not exist")
    scfg = storages[storeid]
    for k in [x for x in re.split(r'[,;\s]+', opts.pop('delete', '')) if x]:
        scfg.pop(k, None)
    opts.pop('digest', None)
    for k in ('vgname', 'thinpool', 'pool'):
        if k in opts and opts[k] != scfg.get(k):
            raise PveError(f"update storage failed: can't change fixed option '{k}'")
    scfg.update(opts)
    st.save('storages.json', storages)
    return 0


def pvesm_remove(args, usage):
    (storeid,), _ = parse_args(args, ['storage'], known=lambda n: False, usage=usage)
    st = State(True)
    storages = st.storages()
    if storeid not in storages:
        raise PveError(f"delete storage failed: error with cfs lock 'storage': storage '{storeid}' does not exist")
    del storages[storeid]
    st.save('storages.json', storages)
    return 0


PVESM_COMMANDS = {'status': pvesm_status, 'list': pvesm_list, 'path': pvesm_path, 'add': pvesm_add,
                  'set': pvesm_set, 'remove': pvesm_remove}


def pvesm_main(argv):
    def usage_short(fh, msg=None):
        if msg:
            fh.write(f'ERROR: {msg}\n')
        fh.write('USAGE: pvesm <COMMAND> [ARGS] [OPTIONS]\n')
        for c in sorted(PVESM_USAGE):
            fh.write(f'       {PVESM_USAGE[c]}\n')
        fh.write('\n' + simulator_note('pvesm'))

    if not argv:
        usage_short(sys.stderr, 'no command specified')
        return 255
    cmd = expand_command(argv[0], PVESM_REAL_COMMANDS)
    if cmd is None:
        usage_short(sys.stderr, f"unknown command 'pvesm {argv[0]}'")
        return 255
    rest = argv[1:]
    if cmd == 'help':
        if rest and rest[0] in PVESM_USAGE:
            print_cmd_help('pvesm', PVESM_USAGE[rest[0]], PVESM_HELP[rest[0]])
        else:
            usage_short(sys.stdout)
        return 0
    if cmd not in PVESM_COMMANDS:
        raise PveError(f"pve-simulator: 'pvesm {cmd}' is not simulated (see {README})")
    if wants_help(rest):
        print_cmd_help('pvesm', PVESM_USAGE[cmd], PVESM_HELP[cmd])
        return 0
    try:
        return PVESM_COMMANDS[cmd](rest, PVESM_USAGE[cmd]) or 0
    except ParamError as e:
        raise e.with_usage(PVESM_USAGE[cmd])


# ----------------------------------------------------------------------------------------
# output formatting (PVE::CLIFormatter)


def perl_json(data):
    return json.dumps(data, sort_keys=True, separators=(',', ':'), ensure_ascii=False)


def perl_json_pretty(data):
    # JSON::PP/XS "pretty": 3-space indent, space before and after ':'
    return json.dumps(data, sort_keys=True, indent=3, separators=(',', ' : '), ensure_ascii=False) + '\n'


def terminal_options():
    opts = {'utf8': False, 'columns': None}
    loc = os.environ.get('LC_ALL') or os.environ.get('LC_CTYPE') or os.environ.get('LANG') or ''
    if re.search(r'utf-?8', loc, re.I):
        opts['utf8'] = True
    if sys.stdout.isatty():
        try:
            opts['columns'] = os.get_terminal_size().columns
        except OSError:
            pass
    return opts


def data_to_text(data, propdef):
    if data is None:
        return ''
    propdef = propdef or {}
    if propdef.get('type') == 'boolean':
        return '1' if data else '0'
    renderer = propdef.get('renderer')
    if renderer == 'bytes':
        return render_bytes(data)
    if renderer == 'duration':
        return render_duration(data)
    if renderer == 'fraction_as_percentage':
        return f'{float(data) * 100:.2f}%'
    if isinstance(data, (dict, list)):
        return perl_json(data)
    if isinstance(data, float):
        return perl_num(data)
    return str(data)


def properties_to_print(props):
    required = sorted(k for k, v in props.items() if not v.get('optional'))
    optional = sorted(k for k, v in props.items() if v.get('optional'))
    return required + optional


def print_text_table(data, returnprops, props_to_print, options):
    term = terminal_options()
    border = not options.get('noborder')
    header = not options.get('noheader')
    sort_key = options.get('sort_key', props_to_print[0] if props_to_print else None)
    if sort_key:
        t = (returnprops.get(sort_key) or {}).get('type', 'string')
        if t in ('integer', 'number'):
            data = sorted(data, key=lambda e: float(e.get(sort_key) or 0))
        else:
            data = sorted(data, key=lambda e: str(e.get(sort_key) if e.get(sort_key) is not None else ''))
    table = []
    for entry in data:
        row = {}
        height = 1
        for p in props_to_print:
            lines = data_to_text(entry.get(p), returnprops.get(p)).split('\n')
            if lines == ['']:
                lines = []
            height = max(height, len(lines))
            row[p] = lines
        table.append((height, row))
    widths = {}
    for p in props_to_print:
        title = (returnprops.get(p) or {}).get('title', p)
        longest = len(title)
        for _, row in table:
            for line in row[p]:
                longest = max(longest, len(line))
        widths[p] = longest
    utf8 = term['utf8']
    n = len(props_to_print)

    def fmt(cells):
        if not border:
            parts = []
            for i, (p, c) in enumerate(zip(props_to_print, cells)):
                parts.append(c if i == n - 1 else c.ljust(widths[p]))
            return ' '.join(parts)
        bar = '│' if utf8 else '|'
        s = ''
        for i, (p, c) in enumerate(zip(props_to_print, cells)):
            s += f'{bar} {c[:widths[p]].ljust(widths[p])} '
        return s + bar

    def border_line(left, mid, right, fill):
        s = ''
        for i, p in enumerate(props_to_print):
            s += (left if i == 0 else mid) + fill + fill * widths[p] + fill
        return s + right

    if utf8:
        top = border_line('┌', '┬', '┐', '─')
        middle = border_line('├', '┼', '┤', '─')
        bottom = border_line('└', '┴', '┘', '─')
    else:
        top = middle = bottom = border_line('+', '+', '+', '-')
    lines = []
    if border:
        lines.append(top)
    if header:
        lines.append(fmt([(returnprops.get(p) or {}).get('title', p) for p in props_to_print]))
    for i, (height, row) in enumerate(table):
        if border and (i != 0 or header):
            lines.append(middle)
        for j in range(height):
            lines.append(fmt([row[p][j] if j < len(row[p]) else '' for p in props_to_print]))
    if border:
        lines.append(bottom)
    cols = term['columns']
    sys.stdout.write(''.join((line[:cols] if cols else line) + '\n' for line in lines))


def print_api_result(data, schema, options):
    fmt = options.get('output-format', 'text')
    if options.get('quiet') == '1':
        return
    if schema.get('type') == 'null':
        return
    if fmt == 'json':
        sys.stdout.write(perl_json(data) + '\n')
    elif fmt == 'json-pretty':
        sys.stdout.write(perl_json_pretty(data))
    elif fmt == 'text':
        t = schema.get('type')
        if t == 'object':
            props = schema.get('properties') or {}
            keys = properties_to_print(props) or sorted(data)
            kv = [{'key': k, 'value': data_to_text(data[k], props.get(k))} for k in keys if data.get(k) is not None]
            print_text_table(kv, {}, ['key', 'value'], options)
        elif t == 'array':
            if not data:
                return
            items = schema.get('items', {})
            if items.get('type') == 'object':
                props = items.get('properties') or {}
                keys = properties_to_print(props)
                if not keys:
                    keys = sorted({k for e in data for k in e})
                print_text_table(data, props, keys, options)
            else:
                print_text_table([{'value': v} for v in data], {'value': items}, ['value'],
                                 dict(options, noheader='1'))
        else:
            print(data)
    else:
        raise PveError(f"pve-simulator: --output-format {fmt} is not simulated (json, json-pretty, text are)")


# ----------------------------------------------------------------------------------------
# pvesh

NODE_INDEX_SCHEMA = {'type': 'array', 'items': {'type': 'object', 'properties': {
    'node': {'type': 'string'}, 'status': {'type': 'string'},
    'cpu': {'type': 'number', 'optional': 1, 'renderer': 'fraction_as_percentage'},
    'maxcpu': {'type': 'integer', 'optional': 1},
    'mem': {'type': 'integer', 'optional': 1, 'renderer': 'bytes'},
    'maxmem': {'type': 'integer', 'optional': 1, 'renderer': 'bytes'},
    'level': {'type': 'string', 'optional': 1},
    'uptime': {'type': 'integer', 'optional': 1, 'renderer': 'duration'},
    'ssl_fingerprint': {'type': 'string', 'optional': 1}}}}
VERSION_SCHEMA = {'type': 'object', 'properties': {
    'version': {'type': 'string'}, 'release': {'type': 'string'}, 'repoid': {'type': 'string'},
    'console': {'type': 'string', 'optional': 1}}}
NODE_STATUS_SCHEMA = {'type': 'object', 'properties': {
    'boot-info': {'type': 'object'}, 'current-kernel': {'type': 'object'}}}
VMSTATUS_PROPS = {
    'vmid': {'type': 'integer'}, 'status': {'type': 'string'},
    'maxmem': {'type': 'integer', 'optional': 1, 'renderer': 'bytes'},
    'maxdisk': {'type': 'integer', 'optional': 1, 'renderer': 'bytes'},
    'name': {'type': 'string', 'optional': 1}, 'qmpstatus': {'type': 'string', 'optional': 1},
    'pid': {'type': 'integer', 'optional': 1},
    'uptime': {'type': 'integer', 'optional': 1, 'renderer': 'duration'},
    'cpus': {'type': 'number', 'optional': 1}, 'lock': {'type': 'string', 'optional': 1},
    'tags': {'type': 'string', 'optional': 1}, 'running-machine': {'type': 'string', 'optional': 1},
    'running-qemu': {'type': 'string', 'optional': 1}}
QEMU_INDEX_SCHEMA = {'type': 'array', 'items': {'type': 'object', 'properties': VMSTATUS_PROPS}}
DIR_MAPPING_INDEX_SCHEMA = {'type': 'array', 'items': {'type': 'object', 'properties': {
    'id': {'type': 'string'}, 'map': {'type': 'array'}, 'description': {'type': 'string'},
    'checks': {'type': 'array', 'optional': 1}}}}
STORAGE_INDEX_SCHEMA = {'type': 'array', 'items': {'type': 'object', 'properties': {
    'storage': {'type': 'string'}, 'type': {'type': 'string'}, 'content': {'type': 'string'},
    'active': {'type': 'boolean', 'optional': 1}, 'enabled': {'type': 'boolean', 'optional': 1},
    'shared': {'type': 'boolean', 'optional': 1},
    'total': {'type': 'integer', 'optional': 1, 'renderer': 'bytes'},
    'used': {'type': 'integer', 'optional': 1, 'renderer': 'bytes'},
    'avail': {'type': 'integer', 'optional': 1, 'renderer': 'bytes'},
    'used_fraction': {'type': 'number', 'optional': 1, 'renderer': 'fraction_as_percentage'}}}}
INDEX_SCHEMA = {'type': 'array', 'items': {'type': 'object', 'properties': {}}}
NULL_SCHEMA = {'type': 'null'}
OBJECT_SCHEMA = {'type': 'object'}

FORMAT_OPTS = ('output-format', 'noborder', 'noheader', 'quiet', 'human-readable')


def node_status(node):
    v = load_version()
    mem = read_meminfo()
    root = df('/') or {'total': 0, 'avail': 0, 'used': 0}
    loadavg = read_file('/proc/loadavg').split()[:3] or ['0.00', '0.00', '0.00']
    res = {
        'uptime': read_uptime(), 'idle': 0, 'loadavg': loadavg,
        'kversion': f"Linux {v['kernel']} {v['kernel_build']}",
        'current-kernel': {'sysname': 'Linux', 'release': v['kernel'], 'version': v['kernel_build'],
                           'machine': os.uname().machine},
        'boot-info': {'mode': 'efi' if os.path.isdir('/sys/firmware/efi') else 'legacy-bios'},
        'cpuinfo': read_cpuinfo(), 'cpu': 0, 'wait': 0,
        'memory': {'free': mem['memfree'], 'total': mem['memtotal'], 'used': mem['memused']},
        'ksm': {'shared': 0},
        'swap': {'free': mem['swapfree'], 'total': mem['swaptotal'], 'used': mem['swapused']},
        'pveversion': f"pve-manager/{v['manager']}/{v['repoid']}",
        'rootfs': {'total': root['total'], 'avail': root['avail'], 'used': root['used'],
                   'free': root['total'] - root['used']},
    }
    if res['boot-info']['mode'] == 'efi':
        res['boot-info']['secureboot'] = 0
    return res


def node_entry(node):
    mem = read_meminfo()
    root = df('/') or {'total': 0, 'used': 0}
    cpus = host_cpus()
    load = read_file('/proc/loadavg').split()
    cpu = min(float(load[0]) / cpus, 1.0) if load else 0
    fp = hashlib.sha256(node.encode()).hexdigest().upper()
    return {'id': f'node/{node}', 'node': node, 'type': 'node', 'status': 'online', 'level': '',
            'uptime': read_uptime(), 'cpu': round(cpu, 6), 'maxcpu': cpus, 'mem': mem['memused'],
            'maxmem': mem['memtotal'], 'disk': root['used'], 'maxdisk': root['total'],
            'ssl_fingerprint': ':'.join(fp[i:i + 2] for i in range(0, 64, 2))}


def mapping_cfg_text(entries):
    text = ''
    for mid in sorted(entries):
        e = entries[mid]
        text += f'{mid}\n'
        if e.get('description') is not None:
            text += f"\tdescription {e['description']}\n"
        for m in e.get('map', []):
            text += f'\tmap {m}\n'
        text += '\n'
    return text


def mapping_digest(entries):
    return hashlib.sha1(mapping_cfg_text(entries).encode()).hexdigest()


def parse_map_entry(value):
    data = parse_propstr(value, None)
    for k in data:
        if k not in ('node', 'path'):
            raise ParamError({'map': f'invalid format - format error\nmap.{k}: property is not defined in schema '
                                     f'and the schema does not allow additional properties'})
    if 'node' not in data or 'path' not in data:
        missing = 'node' if 'node' not in data else 'path'
        raise ParamError({'map': f'invalid format - format error\nmap.{missing}: property is missing and it is '
                                 f'not optional'})
    if not re.match(r'^/[^;,=()]+', data['path']):
        raise ParamError({'map': 'invalid format - format error\nmap.path: invalid format - Value does not look '
                                 'like a valid absolute path. These symbols are currently not allowed in path: '
                                 ';,=()'})
    return data


def assert_valid_map_list(maps):
    node = nodename()
    count = {}
    for m in maps:
        e = parse_map_entry(m)
        if e['node'] == node:
            path = e['path']
            if not os.path.exists(path):
                raise PveError(f'Path {path} does not exist', 2)
            if not os.path.isdir(path):
                raise PveError(f'Path {path} exists, but is not a directory')
        count[e['node']] = count.get(e['node'], 0) + 1
    for n, c in count.items():
        if c > 1:
            raise PveError(f"Node '{n}' is specified {c} times.")


def pvesh_handler(method, path, params):
    """Returns (data, schema) or raises; None when no handler exists for the path."""
    parts = [p for p in path.split('/') if p]
    node = nodename()

    def local_node(n):
        if n not in (node, 'localhost'):
            raise PveError(f"hostname lookup '{n}' failed - failed to get address info for: {n}: "
                           f"Name or service not known")

    def handle_get():
        if parts == []:
            return [{'subdir': s} for s in ('version', 'cluster', 'nodes', 'storage', 'access', 'pools')], \
                INDEX_SCHEMA
        if parts == ['version']:
            v = load_version()
            return {'version': v['manager'], 'release': v['release'], 'repoid': v['repoid']}, VERSION_SCHEMA
        if parts == ['nodes']:
            return [node_entry(node)], NODE_INDEX_SCHEMA
        if parts == ['cluster']:
            return [{'name': n} for n in ('mapping', 'nextid', 'resources', 'status')], INDEX_SCHEMA
        if parts == ['cluster', 'nextid']:
            st = State(False)
            used = set(st.vmids())
            n = 100
            while n in used:
                n += 1
            return str(n), {'type': 'integer'}
        if parts == ['cluster', 'mapping']:
            return [{'name': n} for n in ('dir', 'pci', 'usb')], INDEX_SCHEMA
        if parts == ['cluster', 'mapping', 'dir']:
            st = State(False)
            entries = st.mappings().get('dir', {})
            digest = mapping_digest(entries)
            res = []
            for mid in entries:
                e = json.loads(json.dumps(entries[mid]))
                e['id'] = mid
                e['type'] = 'dir'
                e['digest'] = digest
                res.append(e)
            return res, DIR_MAPPING_INDEX_SCHEMA
        if len(parts) == 4 and parts[:3] == ['cluster', 'mapping', 'dir']:
            st = State(False)
            entries = st.mappings().get('dir', {})
            if parts[3] not in entries:
                raise PveError(f"mapping '{parts[3]}' not found")
            e = json.loads(json.dumps(entries[parts[3]]))
            e['type'] = 'dir'
            e['digest'] = mapping_digest(entries)
            return e, OBJECT_SCHEMA
        if len(parts) >= 2 and parts[0] == 'nodes':
            local_node(parts[1])
            rest = parts[2:]
            if rest == []:
                return [{'name': n} for n in ('qemu', 'status', 'storage', 'version')], INDEX_SCHEMA
            if rest == ['status']:
                return node_status(parts[1]), NODE_STATUS_SCHEMA
            if rest == ['version']:
                v = load_version()
                return {'version': v['manager'], 'release': v['release'], 'repoid': v['repoid']}, VERSION_SCHEMA
            if rest == ['storage']:
                st = State(False)
                res = [storage_status(st, s, c) for s, c in sorted(st.storages().items())]
                return res, STORAGE_INDEX_SCHEMA
            if rest == ['qemu']:
                st = State(False)
                full = params.get('full') == '1'
                return [vm_status_record(st.vm(v), full) for v in st.vmids() if st.vm(v)], QEMU_INDEX_SCHEMA
            if len(rest) >= 2 and rest[0] == 'qemu':
                if not re.match(r'^\d+$', rest[1]):
                    raise ParamError({'vmid': f"type check ('integer') failed - got '{rest[1]}'"})
                vmid = int(rest[1])
                sub = rest[2:]
                if sub in ([], ['config'], ['pending'], ['status'], ['status', 'current']):
                    st = State(False)
                    vm = load_vm(st, vmid)
                    if sub == []:
                        return [{'subdir': s} for s in ('config', 'pending', 'status')], INDEX_SCHEMA
                    if sub == ['config']:
                        conf = dict(vm['conf']) if params.get('current') == '1' else merged_conf(vm)
                        if conf.get('cipassword'):
                            conf['cipassword'] = '**********'
                        conf['digest'] = config_digest(vm)
                        return typed_conf(conf), OBJECT_SCHEMA
                    if sub == ['pending']:
                        res = []
                        for k in sorted(set(vm['conf']) | set(vm['pending'])):
                            item = {'key': k}
                            if k in vm['conf']:
                                item['value'] = vm['conf'][k]
                            if k in vm['pending']:
                                item['pending'] = vm['pending'][k]
                            if k in vm['pending_delete']:
                                item['delete'] = 1
                            res.append(item)
                        return res, INDEX_SCHEMA
                    if sub == ['status']:
                        return [{'subdir': s} for s in ('current', 'start', 'stop', 'reset', 'shutdown',
                                                        'suspend', 'reboot')], INDEX_SCHEMA
                    rec = vm_status_record(vm, True)
                    if agent_enabled(vm['conf']):
                        rec['agent'] = 1
                    rec['ha'] = {'managed': 0}
                    return rec, {'type': 'object', 'properties': VMSTATUS_PROPS}
        return None

    def handle_mapping_write():
        if method == 'POST' and parts == ['cluster', 'mapping', 'dir']:
            mid = params.get('id')
            errors = {}
            if mid is None:
                errors['id'] = 'property is missing and it is not optional'
            elif not re.match(r'^[a-z][a-z0-9_-]+$', mid, re.I):
                errors['id'] = f"invalid format - invalid configuration ID '{mid}'"
            if not params.get('map'):
                errors['map'] = 'property is missing and it is not optional'
            if errors:
                raise ParamError(errors)
            maps = params['map']
            assert_valid_map_list(maps)
            st = State(True)
            mappings = st.mappings()
            entries = mappings.setdefault('dir', {})
            if mid in entries:
                raise PveError(f"create directory mapping failed: dir ID '{mid}' already defined")
            e = {'map': maps}
            if params.get('description') is not None:
                e['description'] = params['description']
            entries[mid] = e
            st.save('mappings.json', mappings)
            return None, NULL_SCHEMA
        if method == 'PUT' and len(parts) == 4 and parts[:3] == ['cluster', 'mapping', 'dir']:
            mid = parts[3]
            st = State(True)
            mappings = st.mappings()
            entries = mappings.setdefault('dir', {})
            if params.get('digest') and params['digest'] != mapping_digest(entries):
                raise PveError('update directory mapping failed: detected modified configuration - file changed by '
                               'other user? Try again.')
            if mid not in entries:
                raise PveError(f"update directory mapping failed: dir ID '{mid}' does not exist")
            if params.get('map'):
                assert_valid_map_list(params['map'])
            e = entries[mid]
            for k in [x for x in re.split(r'[,;\s]+', params.get('delete', '')) if x]:
                if k not in ('description', 'map'):
                    raise ParamError({'delete': f"unknown option '{k}'"})
                e.pop(k, None)
            if params.get('map'):
                e['map'] = params['map']
            if params.get('description') is not None:
                e['description'] = params['description']
            st.save('mappings.json', mappings)
            return None, NULL_SCHEMA
        if method == 'DELETE' and len(parts) == 4 and parts[:3] == ['cluster', 'mapping', 'dir']:
            st = State(True)
            mappings = st.mappings()
            mappings.setdefault('dir', {}).pop(parts[3], None)
            st.save('mappings.json', mappings)
            return None, NULL_SCHEMA
        return None

    if method == 'GET':
        return handle_get()
    return handle_mapping_write()


def typed_conf(conf):
    res = {}
    for k, v in conf.items():
        if k in INT_KEYS or k in BOOL_KEYS:
            try:
                res[k] = int(v)
                continue
            except ValueError:
                pass
        res[k] = v
    return res


def pvesh_known_path(method, path):
    """Which paths have a handler (independent of whether the object exists), like find_handler."""
    parts = [p for p in path.split('/') if p]
    if method == 'GET':
        pats = [[], ['version'], ['nodes'], ['cluster'], ['cluster', 'nextid'], ['cluster', 'mapping'],
                ['cluster', 'mapping', 'dir'], ['cluster', 'mapping', 'dir', '*'], ['nodes', '*'],
                ['nodes', '*', 'status'], ['nodes', '*', 'version'], ['nodes', '*', 'storage'],
                ['nodes', '*', 'qemu'], ['nodes', '*', 'qemu', '*'], ['nodes', '*', 'qemu', '*', 'config'],
                ['nodes', '*', 'qemu', '*', 'pending'], ['nodes', '*', 'qemu', '*', 'status'],
                ['nodes', '*', 'qemu', '*', 'status', 'current']]
    elif method == 'POST':
        pats = [['cluster', 'mapping', 'dir']]
    elif method == 'PUT':
        pats = [['cluster', 'mapping', 'dir', '*']]
    else:
        pats = [['cluster', 'mapping', 'dir', '*']]
    for pat in pats:
        if len(pat) == len(parts) and all(a == '*' or a == b for a, b in zip(pat, parts)):
            return True
    return False


PVESH_METHODS = {'get': 'GET', 'set': 'PUT', 'create': 'POST', 'delete': 'DELETE'}


def pvesh_main(argv):
    def usage_short(fh, msg=None):
        if msg:
            fh.write(f'ERROR: {msg}\n')
        fh.write('USAGE: pvesh <COMMAND> [ARGS] [OPTIONS]\n')
        for c in ('create', 'delete', 'get', 'set'):
            fh.write(f'       pvesh {c} <api_path> [OPTIONS] [FORMAT_OPTIONS]\n')
        fh.write('       pvesh help [<extra-args>] [OPTIONS]\n\n' + simulator_note('pvesh'))

    while argv and argv[0] in ('--noproxy', '--nooutput'):
        argv = argv[1:]
    if not argv:
        usage_short(sys.stderr, 'no command specified')
        return 255
    cmd = argv[0]
    if cmd in ('help', '--help', '-h'):
        usage_short(sys.stdout)
        return 0
    if cmd in ('ls', 'usage'):
        raise PveError(f"pve-simulator: 'pvesh {cmd}' is not simulated (see {README})")
    if cmd not in PVESH_METHODS:
        usage_short(sys.stderr, f"unknown command 'pvesh {cmd}'")
        return 255
    method = PVESH_METHODS[cmd]
    rest = argv[1:]
    usage = f'pvesh {cmd} <api_path> [OPTIONS] [FORMAT_OPTIONS]'
    if wants_help(rest):
        print_cmd_help('pvesh', usage, f'Call API {method} on <api_path> (simulated paths: see README).')
        return 0
    path = rest[0] if rest else None  # like pvesh: the handler lookup uses $ARGV[1] as it is
    if path and not pvesh_known_path(method, path):
        sys.stderr.write(f"No '{cmd}' handler defined for '{path}'\n")
        return 1
    bool_opts = ('noborder', 'noheader', 'quiet', 'human-readable', 'full', 'current')
    allowed = set(FORMAT_OPTS) | {'full', 'current', 'id', 'map', 'description', 'delete', 'digest',
                                  'check-node'}
    (api_path,), opts = parse_args(rest, ['api_path'], bool_opts=bool_opts, array_opts=('map',),
                                   known=lambda n: n in allowed, usage=usage)
    fmt = opts.get('output-format', 'text')
    if fmt not in ('text', 'json', 'json-pretty', 'yaml'):
        raise ParamError({'output-format': f"value '{fmt}' does not have a value in the enumeration "
                                           f"'text, json, json-pretty, yaml'"}).with_usage(usage)
    try:
        res = pvesh_handler(method, api_path, opts)
    except ParamError as e:
        raise e.with_usage(usage)
    if res is None:
        raise PveError(f"no '{cmd}' handler for '{api_path}'")
    data, schema = res
    print_api_result(data, schema, opts)
    return 0


# ----------------------------------------------------------------------------------------
# pveversion

def package_versions(v):
    kernel = v['kernel']
    kmaj = '.'.join(kernel.split('.')[:2])
    kpkg = kernel.replace('-pve', '')
    if v['major'] >= 9:
        pk = [('proxmox-ve', f"{v['release']}.0", f'running kernel: {kernel}'),
              ('pve-manager', v['manager'], f"running version: {v['manager']}/{v['repoid']}"),
              ('proxmox-kernel-helper', '9.0.3', None), (f'proxmox-kernel-{kernel}-signed', kpkg, None),
              (f'proxmox-kernel-{kmaj}', kpkg, None), ('ceph-fuse', '19.2.3-pve1', None),
              ('corosync', '3.1.9-pve2', None), ('criu', '4.1.1-1', None), ('ifupdown2', '3.3.0-1+pmx9', None),
              ('ksm-control-daemon', '1.5-1', None), ('libjs-extjs', '7.0.0-5', None),
              ('libproxmox-acme-perl', '1.7.0', None), ('libproxmox-backup-qemu0', '2.0.1', None),
              ('libproxmox-rs-perl', '0.4.1', None), ('libpve-access-control', '9.0.3', None),
              ('libpve-apiclient-perl', '3.4.0', None), ('libpve-cluster-api-perl', '9.0.6', None),
              ('libpve-cluster-perl', '9.0.6', None), ('libpve-common-perl', '9.0.9', None),
              ('libpve-guest-common-perl', '6.0.2', None), ('libpve-http-server-perl', '6.0.4', None),
              ('libpve-network-perl', '1.1.6', None), ('libpve-rs-perl', '0.10.10', None),
              ('libpve-storage-perl', '9.0.13', None), ('lvm2', '2.03.31-2+pmx1', None),
              ('lxc-pve', '6.0.4-2', None), ('lxcfs', '6.0.4-pve1', None), ('novnc-pve', '1.6.0-3', None),
              ('proxmox-backup-client', '4.0.14-1', None), ('proxmox-firewall', '1.1.2', None),
              ('pve-cluster', '9.0.6', None), ('pve-container', '6.0.10', None),
              ('pve-docs', '9.0.8', None), ('pve-edk2-firmware', '4.2025.02-4', None),
              ('pve-firewall', '6.0.3', None), ('pve-firmware', '3.16-3', None), ('pve-ha-manager', '5.0.4', None),
              ('pve-i18n', '3.5.2', None), ('pve-qemu-kvm', f"{v['qemu']}-4", None),
              ('qemu-server', '9.0.18', None), ('smartmontools', '7.4-pve1', None), ('spiceterm', '3.4.0', None),
              ('swtpm', '0.8.0+pve2', None), ('vncterm', '1.9.0', None), ('zfsutils-linux', '2.3.4-pve1', None)]
    else:
        pk = [('proxmox-ve', f"{v['release']}.0", f'running kernel: {kernel}'),
              ('pve-manager', v['manager'], f"running version: {v['manager']}/{v['repoid']}"),
              ('proxmox-kernel-helper', '8.1.1', None), (f'proxmox-kernel-{kernel}-signed', kpkg, None),
              (f'proxmox-kernel-{kmaj}', kpkg, None), ('ceph-fuse', '17.2.8-pve2', None),
              ('corosync', '3.1.9-pve1', None), ('criu', '3.17.1-2+deb12u1', None),
              ('glusterfs-client', '10.3-5', None), ('ifupdown2', '3.2.0-1+pmx11', None),
              ('ksm-control-daemon', '1.5-1', None), ('libjs-extjs', '7.0.0-5', None),
              ('libknet1', '1.30-pve2', None), ('libproxmox-acme-perl', '1.6.0', None),
              ('libproxmox-backup-qemu0', '1.5.1', None), ('libproxmox-rs-perl', '0.3.5', None),
              ('libpve-access-control', '8.2.2', None), ('libpve-apiclient-perl', '3.3.2', None),
              ('libpve-cluster-api-perl', '8.1.0', None), ('libpve-cluster-perl', '8.1.0', None),
              ('libpve-common-perl', '8.3.1', None), ('libpve-guest-common-perl', '5.2.2', None),
              ('libpve-http-server-perl', '5.2.2', None), ('libpve-network-perl', '0.11.2', None),
              ('libpve-rs-perl', '0.9.4', None), ('libpve-storage-perl', '8.3.6', None),
              ('libspice-server1', '0.15.1-1', None), ('lvm2', '2.03.16-2', None), ('lxc-pve', '6.0.0-1', None),
              ('lxcfs', '6.0.0-pve2', None), ('novnc-pve', '1.6.0-2', None),
              ('proxmox-backup-client', '3.4.0-1', None), ('proxmox-backup-file-restore', '3.4.0-1', None),
              ('proxmox-firewall', '0.7.1', None), ('proxmox-kernel-helper', '8.1.1', None),
              ('proxmox-mail-forward', '0.3.2', None), ('proxmox-mini-journalreader', '1.4.0', None),
              ('proxmox-offline-mirror-helper', '0.6.7', None), ('proxmox-widget-toolkit', '4.3.10', None),
              ('pve-cluster', '8.1.0', None), ('pve-container', '5.2.6', None), ('pve-docs', '8.4.0', None),
              ('pve-edk2-firmware', '4.2025.02-3', None), ('pve-esxi-import-tools', '0.7.3', None),
              ('pve-firewall', '5.1.1', None), ('pve-firmware', '3.15-3', None), ('pve-ha-manager', '4.0.7', None),
              ('pve-i18n', '3.4.2', None), ('pve-qemu-kvm', f"{v['qemu']}-5", None),
              ('pve-xtermjs', '5.5.0-2', None), ('qemu-server', '8.3.12', None),
              ('smartmontools', '7.3-pve1', None), ('spiceterm', '3.3.0', None), ('swtpm', '0.8.0+pve1', None),
              ('vncterm', '1.8.0', None), ('zfsutils-linux', '2.2.7-pve2', None)]
    seen = set()
    res = []
    for p in pk:
        if p[0] not in seen:
            seen.add(p[0])
            res.append(p)
    return res


def pveversion_main(argv):
    def usage(msg=None):
        if msg:
            sys.stderr.write(f'ERROR: {msg}\n')
        sys.stderr.write('USAGE: pveversion [--verbose]\n')

    if wants_help(argv):
        sys.stdout.write('USAGE: pveversion [--verbose]\n\n  Print version information for Proxmox VE '
                         'packages.\n\n' + simulator_note('pveversion'))
        return 0
    verbose = False
    for a in argv:
        if a in ('-v', '--verbose', '-verbose', '--v', '-verb', '--verb'):
            verbose = True
        elif a.startswith('-'):
            sys.stderr.write(f'Unknown option: {a.lstrip("-")}\n')
            usage()
            return 255
        else:
            usage()
            return 255
    v = load_version()
    if not verbose:
        print(f"pve-manager/{v['manager']}/{v['repoid']} (running kernel: {v['kernel']})")
        return 0
    for name, version, extra in package_versions(v):
        print(f'{name}: {version} ({extra})' if extra else f'{name}: {version}')
    return 0


# ----------------------------------------------------------------------------------------
# main


def main(argv):
    try:
        sys.stdout.reconfigure(encoding='utf-8', errors='surrogateescape')
        sys.stderr.reconfigure(encoding='utf-8', errors='surrogateescape')
    except (AttributeError, ValueError):
        pass
    tool = os.path.basename(argv[0])
    args = argv[1:]
    if tool not in TOOLS:
        if args and args[0] in TOOLS:
            tool, args = args[0], args[1:]
        else:
            sys.stderr.write('USAGE: pve-simulator.py {qm|pvesm|pvesh|pveversion} [ARGS...]\n\n'
                             'A SIMULATOR of a subset of the Proxmox VE CLI for the media-server-home lab.\n'
                             f'See {README}.\n')
            return 255
    try:
        if tool == 'qm':
            return qm_main(args)
        if tool == 'pvesm':
            return pvesm_main(args)
        if tool == 'pvesh':
            return pvesh_main(args)
        return pveversion_main(args)
    except PveError as e:
        sys.stdout.flush()
        sys.stderr.write(e.msg)
        return e.code
    except BrokenPipeError:
        return 141


if __name__ == '__main__':
    sys.exit(main(sys.argv))
