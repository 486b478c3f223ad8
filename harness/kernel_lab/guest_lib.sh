# Sourced by the lab tests' guest.sh: what every test does inside the guest.

# make_chip LABEL LINES: a gpio-sim chip; prints its folder in sysfs (where lines show levels).
make_chip() {
  local cfg=/sys/kernel/config/gpio-sim/$1
  mkdir "$cfg" "$cfg/bank0"
  echo "$2" >"$cfg/bank0/num_lines"
  echo "$1" >"$cfg/bank0/label"
  echo 1 >"$cfg/live"
  echo "/sys/devices/platform/$(cat "$cfg/dev_name")/$(cat "$cfg/bank0/chip_name")"
}

# virtio_port NAME: the device of the virtio-serial port QEMU named NAME.
virtio_port() {
  local p
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name")" = "$1" ] && { echo "/dev/$(basename "$p")"; return 0; }
  done
  echo "no virtio port $1" >&2
  return 1
}

# start_bridge BRIDGE RIG SLOT SIM_DIR OUT [CONTROL ASK]: athil_gpio_bridge in the background,
# returned once its module is reachable; its pid in OUT/bridge-SLOT.pid.
start_bridge() {
  local bridge=$1 rig=$2 slot=$3 sim_dir=$4 out=$5
  shift 5
  "$bridge" "$rig" "$slot" "$sim_dir" "$out/pulses-$slot.txt" "$@" 2>"$out/bridge-$slot.log" &
  echo $! >"$out/bridge-$slot.pid"
  local i
  for i in $(seq 300); do
    [ -f "$out/bridge-$slot.ready" ] && return 0
    kill -0 "$(cat "$out/bridge-$slot.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "bridge $slot did not start:" >&2
  cat "$out/bridge-$slot.log" >&2
  return 1
}

# stop_bridges OUT: each bridge writes its pulses and exits.
stop_bridges() {
  local pid
  for pid in "$1"/bridge-*.pid; do kill -TERM "$(cat "$pid")"; done
  wait
}
