#!/bin/busybox sh
# kernel/guest-init.sh - /init of the self-test initramfs (busybox only).
#
# Brings up eth0 (qemu user networking: 10.0.2.15/24, gateway 10.0.2.2),
# loads nexus.ko with the parameters from the kernel command line
# (nexus.*=), prints "NEXUS-TEST: ready" and then serves commands from the
# console: "nexus-reload [P=V...]" unloads and reloads the module (APTPL
# must survive; the limits check adds parameters), "nexus-refuse P=V..."
# must fail to load it (an invalid value), "nexus-stop" unloads the
# module, prints the verdict line "NEXUS-TEST: unload ok|failed", and
# powers off.
# kernel/selftest.sh drives it from the host; every line it waits for
# starts with "NEXUS-TEST:".
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# The kernel opened no console if the archive had no /dev/console node.
exec </dev/console >/dev/console 2>&1

say() { echo "NEXUS-TEST: $*" >/dev/console; }
bye() {
	say "poweroff"
	sync
	poweroff -f
	sleep 5
	echo o >/proc/sysrq-trigger
}

# Kernel messages of level <= 6 (info) reach the console from here on.
echo 7 >/proc/sys/kernel/printk

params=""
for w in $(cat /proc/cmdline); do
	case "$w" in
	nexus.*) params="$params ${w#nexus.}" ;;
	esac
done

# APTPL state (state_dir, the module default): the rootfs is writable and
# survives rmmod/insmod, which is what the reload check needs.
mkdir -p /var/lib/nexus
insmod /lib/e1000.ko || { say "e1000 failed"; bye; }
ip link set lo up
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
ip route add default via 10.0.2.2
if ! insmod /nexus.ko $params; then
	say "insmod failed"
	bye
fi
say "ready"

# sysfs_params P=V...: "P=<value read back from sysfs>..." of the module.
sysfs_params() {
	local w out=""
	for w in "$@"; do
		out="$out ${w%%=*}=$(cat "/sys/module/nexus/parameters/${w%%=*}" 2>&1)"
	done
	echo "${out# }"
}

# The host writes commands to the serial console, one a line:
#   nexus-reload [P=V...]  unload, load again with the boot parameters and
#                          P=V... (persistent state must survive); the
#                          answer echoes P=V... and their sysfs values
#   nexus-refuse P=V...    unload, loading with P=V... must fail (an
#                          invalid value), then load as at boot
#   nexus-stop             unload and power off (below)
while read -r line </dev/console; do
	set -- $line
	cmd=${1:-}
	[ $# -gt 0 ] && shift
	case "$cmd" in
	*nexus-reload)
		if rmmod nexus && insmod /nexus.ko $params "$@"; then
			say "reloaded${1:+ with $*}; state files:" \
			    "$(cd /var/lib/nexus && echo *)${1:+; sysfs: $(sysfs_params "$@")}"
		else
			say "reload failed${1:+ with $*}"
		fi
		;;
	*nexus-refuse)
		rmmod nexus
		if insmod /nexus.ko $params "$@"; then
			say "refuse: LOADED with $*"
			rmmod nexus
		else
			say "refuse: insmod refused $*"
		fi
		insmod /nexus.ko $params || say "refuse: reload failed"
		;;
	*nexus-stop) break ;;
	esac
done

if rmmod nexus; then
	if dmesg | grep -q "nexus: unloaded cleanly"; then
		say "unload ok"
	else
		say "unload failed: not clean"
	fi
else
	say "unload failed: rmmod"
fi
bye
