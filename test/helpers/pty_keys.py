"""Runs a command under a real pseudo-terminal and plays a script of keystrokes against it.

Usage: python3 pty_keys.py SCRIPT.json, where the JSON is {"argv": [...], "cwd": "...", "env": {...}, "timeout": seconds,
"steps": [{"expect": "regex", "send": "keys"}, ...]}. Each step waits until its regex matches the output (ANSI escapes
removed) after the previous match, then sends its keys. Prints the whole output and exits with the command's exit
code (or 124 when a step or the command times out, after printing what it waited for).
"""
import json, os, pty, re, select, sys, time

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")

def main() -> int:
    spec = json.load(open(sys.argv[1]))
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(spec["cwd"])
        os.execvpe(spec["argv"][0], spec["argv"], spec["env"])
    raw = b""
    pos = 0
    deadline = time.time() + spec.get("timeout", 60)

    def read(wait: float) -> bool:
        nonlocal raw
        r, _, _ = select.select([fd], [], [], wait)
        if not r:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        raw += data
        return True

    for step in spec["steps"]:
        pattern = re.compile(step["expect"])
        while True:
            text = ANSI.sub("", raw.decode("utf8", "replace"))
            m = pattern.search(text, pos)
            if m:
                pos = m.end()
                break
            if time.time() > deadline or not read(0.2):
                sys.stdout.write(ANSI.sub("", raw.decode("utf8", "replace")))
                sys.stdout.write(f"\n@@pty: timed out or ended waiting for {step['expect']!r}\n")
                os.kill(pid, 9)
                return 124
        time.sleep(0.3)
        for key in step["send"]:
            os.write(fd, key.encode())
            time.sleep(0.05)
    while time.time() < deadline and read(0.5):
        pass
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(ANSI.sub("", raw.decode("utf8", "replace")))
    return os.waitstatus_to_exitcode(status)

sys.exit(main())
