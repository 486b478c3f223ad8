# Sourced by the lab tests on the host: virtual modules outside the guest, reached by QEMU.

module_pids=()
module_dir=$(mktemp -d "${TMPDIR:-/tmp}/athil-lab.XXXXXX")
stop_host_modules() {
  [ ${#module_pids[@]} -eq 0 ] || kill "${module_pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$module_dir"
}
trap stop_host_modules EXIT

# start_host_module NAME ATHIL OUT MODEL FIRMWARE TIME_SCALE [SIM OPTION...]: `athil sim` in the
# background, in a folder under TMPDIR (a control socket needs a file system with sockets, and
# a short path); its port link is $module_dir/NAME.tty, its control socket NAME.ctl, its output
# OUT/module-NAME.{out,log}. Stopped when the test's shell exits.
start_host_module() {
  local name=$1 athil=$2 out=$3 model=$4 firmware=$5 scale=$6
  shift 6
  "$athil" sim --model "$model" --firmware "$firmware" --link "$module_dir/$name.tty" --control "$module_dir/$name.ctl" \
    --time-scale "$scale" "$@" >"$out/module-$name.out" 2>"$out/module-$name.log" &
  local pid=$! i
  module_pids+=("$pid")
  for i in $(seq 300); do
    grep -q '^ready' "$out/module-$name.out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the host's module $name did not start:" >&2
  cat "$out/module-$name.log" >&2
  return 1
}

# control_ports NAME: QEMU options for two virtio-serial ports to module NAME's control socket,
# NAME.pins and NAME.ask in the guest (the bridge's pins, and its questions at the end).
# The virtio-serial-pci device itself: once, by the test.
control_ports() {
  local socket=$module_dir/$1.ctl
  echo "-chardev socket,id=$1-pins,path=$socket -device virtserialport,chardev=$1-pins,name=$1.pins"
  echo "-chardev socket,id=$1-ask,path=$socket -device virtserialport,chardev=$1-ask,name=$1.ask"
}
