# bench/shell.ts on a device machine (see the device tool): node and the
# compiled kernel with its runtime modules are carried in .gpu-run/, built by
#   tar -c package.json lib/kernel lib/bench lib/src <runtime node_modules> | xz > .gpu-run/rt.tar.xz
# (the runtime node_modules: zeromq/{package.json,lib,build/manifest.json,build/linux/x64/node/glibc-127-Release},
# cmake-ts, node-pty/{package.json,lib,build/Release}, sixel; leave out the compiler blob: `!` needs no compiler)
# Run from the repo root there: bash bench/device-shell.sh
set -u
W=$(mktemp -d)
xz -dc .gpu-run/node.xz > $W/node && chmod +x $W/node
xz -dc .gpu-run/rt.tar.xz | tar -x -C $W
{ echo "nproc $(nproc)"; uname -r; grep -m1 'model name' /proc/cpuinfo; $W/node --version; command -v python3; python3 --version;
  python3 -c 'import ipykernel; print("ipykernel", ipykernel.__version__)' 2>&1 | tail -1; } | tee $OUT/machine.txt
cd $W && ./node lib/bench/shell.js --runs 5 --python "$(command -v python3)" 2>&1 | tee $OUT/shell-bench.txt
