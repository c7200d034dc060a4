#!/usr/bin/python3
# Managed by media-server-home (role backup): the backups, their checks and the restore drill, run by systemd timers.
#
#   msh-backup [--config FILE] appdata|photos|media   dump the database first (appdata), back up, forget --prune
#   msh-backup [--config FILE] check                  restic check --read-data-subset
#   msh-backup [--config FILE] drill                  restore a sample and the latest database dump, compare, load
#
# Every repository of the configuration gets the same run. Runs never overlap (one flock for all of them; restic's own
# lock guards the repository). Each run writes its metrics atomically to the node-exporter textfile directory and its
# report to the state directory, and exits non-zero when anything failed. Needs Python >= 3.9 and restic >= 0.14.
import argparse
import fcntl
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime

BACKUP_SETS = ('appdata', 'photos', 'media')
SCHEDULES = BACKUP_SETS + ('check', 'drill')
TAG_PREFIX = 'msh-'
DUMP_PREFIX = 'immich-'
DUMP_SUFFIX = '.sql.gz'
# pg_dump ends every complete plain-text dump with this line: a dump without it was cut short.
DUMP_COMPLETE = b'-- PostgreSQL database dump complete'
# What the drill restores of one set at most (the sampled files' sizes added up), to bound its time and scratch space.
DRILL_BYTES_PER_SET = 2 << 30

METRICS = (
    ('msh_backup_last_success_timestamp_seconds', 'When the schedule last succeeded (0: never).'),
    ('msh_backup_last_run_timestamp_seconds', 'When the schedule last ran, successfully or not.'),
    ('msh_backup_duration_seconds', 'How long the last run took.'),
    ('msh_backup_added_bytes', 'Bytes the last backup added to the repository.'),
    ('msh_backup_snapshots', "Snapshots of the schedule's set in the repository (check: all snapshots)."),
    ('msh_backup_last_exit_code', 'Exit code of the last run (0: success).'),
)


class Failure(Exception):
    """A failed part of a run: reported, and the run goes on with the next repository or set."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def log(message):
    print(message, flush=True)


# ---------------------------------------------------------------- restic

class Repo:
    def __init__(self, cfg, repo):
        self.name = repo['name']
        self.url = repo['url']
        env = {k: v for k, v in os.environ.items() if not k.startswith('RESTIC_')}
        env.update(read_env_file(repo.get('env_file')))
        env['RESTIC_REPOSITORY'] = repo['url']
        env['RESTIC_PASSWORD_FILE'] = cfg['password_file']
        env['RESTIC_CACHE_DIR'] = cfg['cache_dir']
        self.env = env
        self.restic = cfg.get('restic', 'restic')

    def run(self, *args, capture=True, check=True, stdout=None):
        cmd = [self.restic, *args]
        res = subprocess.run(cmd, env=self.env, stdout=stdout if stdout is not None else (subprocess.PIPE if capture else None),
                             stderr=subprocess.PIPE, check=False)
        if check and res.returncode != 0:
            err = (res.stderr or b'').decode('utf-8', 'replace').strip().splitlines()
            raise Failure(f"restic {args[0]} failed (exit {res.returncode}) on {self.name}: {' | '.join(err[-4:])}", res.returncode)
        return res

    def json(self, *args):
        return json.loads(self.run('--json', *args).stdout or b'null')

    def snapshots(self, tag=None):
        args = ['snapshots'] + (['--tag', tag] if tag else [])
        return self.json(*args) or []

    def latest(self, tag):
        snaps = self.snapshots(tag)
        return max(snaps, key=lambda s: s['time']) if snaps else None


def read_env_file(path):
    values = {}
    if not path or not os.path.exists(path):
        return values
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#') or '=' not in line:
                continue
            key, value = line.split('=', 1)
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
                value = value[1:-1]
            values[key.strip()] = value
    return values


# ---------------------------------------------------------------- the database dump

def dump_database(db, report):
    """Runs the dump command into <dir>/immich-<time>.sql.gz (atomically); keeps keep_days of dumps, the newest always."""
    os.makedirs(db['dir'], mode=0o700, exist_ok=True)
    name = f"{DUMP_PREFIX}{datetime.now().strftime('%Y%m%dT%H%M%S')}{DUMP_SUFFIX}"
    final = os.path.join(db['dir'], name)
    fd, tmp = tempfile.mkstemp(prefix='.partial-', dir=db['dir'])
    tail = b''
    size = 0
    try:
        with os.fdopen(fd, 'wb') as raw, gzip.GzipFile(fileobj=raw, mode='wb', mtime=0) as gz:
            proc = subprocess.Popen(['/bin/sh', '-c', db['command']], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            while True:
                chunk = proc.stdout.read(1 << 20)
                if not chunk:
                    break
                gz.write(chunk)
                size += len(chunk)
                tail = (tail + chunk)[-512:]
            err = proc.stderr.read().decode('utf-8', 'replace').strip()
            code = proc.wait()
        if code != 0:
            raise Failure(f"the database dump command failed (exit {code}): {' | '.join(err.splitlines()[-4:])}", code)
        if DUMP_COMPLETE not in tail:
            raise Failure(f'the database dump is incomplete ({size} bytes, no "{DUMP_COMPLETE.decode()}" line at its end)')
        os.chmod(tmp, 0o600)
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    report.append(f'database dump {final}: {size} bytes of SQL, {os.path.getsize(final)} compressed')
    prune_dumps(db['dir'], db['keep_days'], report)
    return final


def dumps_in(directory):
    if not os.path.isdir(directory):
        return []
    return sorted(n for n in os.listdir(directory) if n.startswith(DUMP_PREFIX) and n.endswith(DUMP_SUFFIX))


def prune_dumps(directory, keep_days, report):
    names = dumps_in(directory)
    limit = time.time() - keep_days * 86400
    for name in names[:-1]:
        path = os.path.join(directory, name)
        if os.path.getmtime(path) < limit:
            os.unlink(path)
            report.append(f'removed database dump {name} (older than {keep_days} days)')


# ---------------------------------------------------------------- backup sets

def set_paths(cfg, name):
    paths = list(cfg['sets'][name]['paths'])
    db = cfg.get('db_dump')
    if name == 'appdata' and db and not any(inside(db['dir'], p) for p in paths):
        paths.append(db['dir'])
    return paths


def inside(path, parent):
    path, parent = os.path.normpath(path), os.path.normpath(parent)
    return path == parent or path.startswith(parent.rstrip('/') + '/')


def refuse_empty_sources(paths):
    """A missing or empty source is most likely a share that is not mounted: backing it up would let forget drop good snapshots."""
    for p in paths:
        if not os.path.isdir(p):
            raise Failure(f'{p} does not exist or is not a directory (is it mounted?)')
        if not os.listdir(p):
            raise Failure(f'{p} is empty (is it mounted?): refusing to back up an empty directory')


def backup(cfg, repo, name, metrics, report):
    paths = set_paths(cfg, name)
    refuse_empty_sources(paths)
    tag = TAG_PREFIX + name
    args = ['backup', '--json', '--tag', tag, '--exclude-caches', '--one-file-system']
    for pattern in cfg['sets'][name].get('exclude', []):
        args += ['--exclude', pattern]
    res = repo.run(*args, *paths, check=False)
    summary = None
    for line in (res.stdout or b'').decode('utf-8', 'replace').splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if isinstance(msg, dict) and msg.get('message_type') == 'summary':
            summary = msg
    if res.returncode != 0:
        err = (res.stderr or b'').decode('utf-8', 'replace').strip().splitlines()
        what = 'some files could not be read (the snapshot is incomplete)' if res.returncode == 3 else 'it failed'
        raise Failure(f"backup of {name} to {repo.name}: {what} (exit {res.returncode}): {' | '.join(err[-4:])}", res.returncode)
    if summary is None:
        raise Failure(f'backup of {name} to {repo.name}: restic printed no summary')
    metrics['added_bytes'] = summary.get('data_added', 0)
    report.append(f"{repo.name}: snapshot {summary.get('snapshot_id')} of {name}: {summary.get('files_new', 0)} new, "
                  f"{summary.get('files_changed', 0)} changed files, {summary.get('data_added', 0)} bytes added")
    keep = cfg['keep']
    repo.run('forget', '--tag', tag, '--keep-daily', str(keep['daily']), '--keep-weekly', str(keep['weekly']),
             '--keep-monthly', str(keep['monthly']), '--prune')
    metrics['snapshots'] = len(repo.snapshots(tag))


def check(cfg, repo, metrics, report):
    res = repo.run('check', f"--read-data-subset={cfg['check_subset']}", check=False)
    out = (res.stdout or b'').decode('utf-8', 'replace') + (res.stderr or b'').decode('utf-8', 'replace')
    if res.returncode != 0:
        lines = [l for l in out.strip().splitlines() if l.strip()]
        raise Failure(f"restic check of {repo.name} found errors (exit {res.returncode}): {' | '.join(lines[-6:])}", res.returncode)
    report.append(f'{repo.name}: check --read-data-subset={cfg["check_subset"]}: no errors')
    metrics['snapshots'] = len(repo.snapshots())


# ---------------------------------------------------------------- restore drill

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def mtime_us(restic_time):
    """restic's RFC 3339 time with nanoseconds, as whole microseconds since the epoch."""
    m = re.match(r'^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$', restic_time)
    if not m:
        return None
    base, frac, zone = m.groups()
    stamp = datetime.fromisoformat(base + ('+00:00' if zone == 'Z' else zone))
    return int(stamp.timestamp()) * 1_000_000 + int((frac or '0').ljust(6, '0')[:6])


def unchanged_since(node):
    """The live file is still the one the snapshot holds (same size and modification time): their checksums must agree."""
    try:
        st = os.stat(node['path'], follow_symlinks=False)
    except OSError:
        return False
    return st.st_size == node.get('size', 0) and st.st_mtime_ns // 1000 == mtime_us(node['mtime'])


def snapshot_files(repo, snap):
    nodes = []
    out = repo.run('ls', '--json', snap['id']).stdout.decode('utf-8', 'replace')
    for line in out.splitlines():
        try:
            node = json.loads(line)
        except ValueError:
            continue
        if node.get('struct_type') == 'node' and node.get('type') == 'file':
            nodes.append(node)
    return nodes


def restore_file(repo, snap, path, target):
    """restic dump, not restore --include: a file name with [ ] * ? is taken as it is, never as a pattern."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, 'wb') as out:
        repo.run('dump', snap['id'], path, stdout=out)


def pick_sample(nodes, count, budget):
    """Up to `count` files at random whose sizes add up to at most `budget` bytes (a media set of films would otherwise
    make the drill read hundreds of GB); when no file fits, the smallest one."""
    shuffled = random.sample(nodes, len(nodes))
    picked, total = [], 0
    for node in shuffled:
        if len(picked) == count:
            break
        if total + node.get('size', 0) <= budget:
            picked.append(node)
            total += node.get('size', 0)
    if not picked and nodes:
        picked = [min(nodes, key=lambda n: n.get('size', 0))]
    return picked


def drill_set(repo, name, sample_size, workdir, report):
    snap = repo.latest(TAG_PREFIX + name)
    if snap is None:
        report.append(f'  {name}: no snapshot yet (nothing to drill)')
        return []
    files = snapshot_files(repo, snap)
    comparable = [n for n in files if unchanged_since(n)]
    if files and not comparable:
        raise Failure(f'{name}: none of the {len(files)} files of snapshot {snap["short_id"]} is unchanged on the host: nothing to compare')
    sample = pick_sample(comparable, sample_size, DRILL_BYTES_PER_SET)
    problems = []
    for node in sample:
        target = os.path.join(workdir, repo.name, name, node['path'].lstrip('/'))
        try:
            restore_file(repo, snap, node['path'], target)
            restored, live = sha256_file(target), sha256_file(node['path'])
        except Failure as e:
            problems.append(f'{node["path"]}: not restored: {e}')
            continue
        finally:
            if os.path.exists(target):
                os.unlink(target)  # one restored file at a time in the scratch space
        if restored != live:
            problems.append(f'{node["path"]}: restored sha256 {restored[:16]}… differs from the original {live[:16]}…')
    report.append(f'  {name}: snapshot {snap["short_id"]} ({snap["time"][:19]}), {len(files)} files, '
                  f'{len(sample) - len(problems)}/{len(sample)} sampled files restored with the same sha256')
    return problems


def load_dump(path, command):
    """Pipes the decompressed dump into the command; its output goes to a file, so neither side can block the other."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(['/bin/sh', '-c', command], stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
        try:
            with gzip.open(path, 'rb') as f:
                shutil.copyfileobj(f, proc.stdin, 1 << 20)
        except BrokenPipeError:
            pass  # the command stopped reading: its exit code says why
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
        code = proc.wait()
        out.seek(0)
        return code, out.read().decode('utf-8', 'replace').strip().splitlines()


def drill_database(cfg, repo, workdir, report, load):
    db = cfg.get('db_dump')
    if not db:
        return []
    snap = repo.latest(TAG_PREFIX + 'appdata')
    dumps = [n for n in (snapshot_files(repo, snap) if snap else [])
             if inside(n['path'], db['dir']) and n['name'].startswith(DUMP_PREFIX) and n['name'].endswith(DUMP_SUFFIX)]
    if not dumps:
        return [f'no database dump in the latest appdata snapshot of {repo.name}']
    node = max(dumps, key=lambda n: n['name'])
    target = os.path.join(workdir, repo.name, 'db', node['name'])
    restore_file(repo, snap, node['path'], target)
    problems = []
    if unchanged_since(node) and sha256_file(target) != sha256_file(node['path']):
        problems.append(f'{node["path"]}: the restored dump differs from the one on the host')
    try:
        with gzip.open(target, 'rb') as f:
            size, tail = 0, b''
            for chunk in iter(lambda: f.read(1 << 20), b''):
                size += len(chunk)
                tail = (tail + chunk)[-512:]
    except (OSError, EOFError) as e:
        return problems + [f'{node["name"]}: not a valid gzip file: {e}']
    if DUMP_COMPLETE not in tail:
        return problems + [f'{node["name"]}: incomplete dump (no "{DUMP_COMPLETE.decode()}" line)']
    line = f'  database: {node["name"]} restored from snapshot {snap["short_id"]}, {size} bytes of SQL'
    if load:
        code, out = load_dump(target, db['restore_command'])
        if code != 0:
            problems.append(f"{node['name']}: loading it into a throwaway Postgres failed (exit {code}): {' | '.join(out[-6:])}")
        else:
            line += ', loaded into a throwaway Postgres without error'
    report.append(line)
    return problems


def drill(cfg, repo, report, load_db):
    workdir = tempfile.mkdtemp(prefix='msh-drill-')
    try:
        report.append(f'{repo.name} ({repo.url}):')
        problems = []
        for name in BACKUP_SETS:
            if cfg['sets'][name]['paths']:
                problems += drill_set(repo, name, cfg['drill_sample_files'], workdir, report)
        problems += drill_database(cfg, repo, workdir, report, load_db)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if problems:
        raise Failure('restore drill found problems:\n' + '\n'.join(f'    {p}' for p in problems))


# ---------------------------------------------------------------- metrics and reports

SAMPLE = re.compile(r'^(\w+)\{([^}]*)\}\s+(\S+)$')


def read_metrics(path):
    values = {}
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            for line in f:
                m = SAMPLE.match(line.strip())
                if m:
                    values[(m.group(1), m.group(2))] = m.group(3)
    return values


def write_atomically(path, text, mode=0o644):
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_metrics(cfg, schedule, results, started, finished):
    """results: {repository: {'code': int, 'added_bytes'?: int, 'snapshots'?: int}}; values a run did not measure are kept."""
    path = os.path.join(cfg['metrics_dir'], f'msh-backup-{schedule}.prom')
    old = read_metrics(path)
    lines = []
    for metric, help_text in METRICS:
        samples = []
        for repo, r in results.items():
            labels = f'schedule="{schedule}",repository="{repo}"'
            value = {
                'msh_backup_last_success_timestamp_seconds': int(finished) if r['code'] == 0 else old.get((metric, labels), 0),
                'msh_backup_last_run_timestamp_seconds': int(started),
                'msh_backup_duration_seconds': round(finished - started, 3),
                'msh_backup_added_bytes': r.get('added_bytes', old.get((metric, labels))),
                'msh_backup_snapshots': r.get('snapshots', old.get((metric, labels))),
                'msh_backup_last_exit_code': r['code'],
            }[metric]
            if value is not None:
                samples.append(f'{metric}{{{labels}}} {value}')
        if samples:
            lines += [f'# HELP {metric} {help_text}', f'# TYPE {metric} gauge', *samples]
    os.makedirs(cfg['metrics_dir'], exist_ok=True)
    write_atomically(path, '\n'.join(lines) + '\n')


# ---------------------------------------------------------------- a run

def lock(cfg):
    f = open(cfg['lock_file'], 'w')
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log('another backup run holds the lock: waiting for it to end')
        fcntl.flock(f, fcntl.LOCK_EX)
    return f


def run(cfg, schedule):
    started = time.time()
    report = [f'{schedule} run started {datetime.now().isoformat(timespec="seconds")}']
    results = {}
    failed = []
    dump_problem = None
    if schedule == 'appdata' and cfg.get('db_dump'):
        try:
            dump_database(cfg['db_dump'], report)
        except Failure as e:
            # The files are still backed up (with the previous dumps); the run fails.
            dump_problem = e
            failed.append(f'database dump: {e}')
    for i, r in enumerate(cfg['repositories']):
        repo = Repo(cfg, r)
        metrics = {'code': 0}
        try:
            repo.run('unlock')  # removes only stale locks: those of runs that were killed
            if schedule in BACKUP_SETS:
                backup(cfg, repo, schedule, metrics, report)
            elif schedule == 'check':
                check(cfg, repo, metrics, report)
            else:
                drill(cfg, repo, report, load_db=(i == 0))
            if dump_problem is not None:
                metrics['code'] = dump_problem.code or 1
                report.append(f'{repo.name}: files backed up, but the database dump failed')
        except Failure as e:
            metrics['code'] = e.code or 1
            failed.append(f'{repo.name}: {e}')
            report.append(f'{repo.name}: FAILED: {e}')
        results[repo.name] = metrics
    finished = time.time()
    write_metrics(cfg, schedule, results, started, finished)
    report.append(f'{schedule}: {"FAILED" if failed else "ok"} in {finished - started:.1f} s')
    os.makedirs(cfg['state_dir'], mode=0o700, exist_ok=True)
    write_atomically(os.path.join(cfg['state_dir'], f'{schedule}.report'), '\n'.join(report) + '\n', 0o600)
    for line in report:
        log(line)
    for f in failed:
        print(f'error: {f}', file=sys.stderr, flush=True)
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(prog='msh-backup', description='Backups of media-server-home (role backup).')
    parser.add_argument('--config', default='/etc/media-server-home/backup/config.json')
    parser.add_argument('schedule', choices=SCHEDULES)
    args = parser.parse_args()
    with open(args.config, encoding='utf-8') as f:
        cfg = json.load(f)
    if args.schedule in BACKUP_SETS and not cfg['sets'][args.schedule]['paths']:
        log(f'{args.schedule}: no paths configured: nothing to do')
        return 0
    os.umask(0o077)
    held = lock(cfg)
    try:
        return run(cfg, args.schedule)
    finally:
        held.close()


if __name__ == '__main__':
    sys.exit(main())
