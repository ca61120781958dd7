#!/bin/busybox sh
# kernel/guest-init.sh - /init of the self-test initramfs (busybox only).
#
# Brings up eth0 (qemu user networking: 10.0.2.15/24, gateway 10.0.2.2),
# loads nexus.ko with the parameters from the kernel command line
# (nexus.*=), prints "NEXUS-TEST: ready" and then serves commands from the console:
# "nexus-reload" unloads and reloads the module (APTPL must survive),
# "nexus-stop" unloads the module, prints its last messages and
# the verdict line "NEXUS-TEST: unload ok|failed", and powers off.
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

# The host writes "nexus-reload" (unload and load again: persistent state
# must survive) and, when it is done, "nexus-stop" to the serial console.
while read -r line </dev/console; do
	case "$line" in
	*nexus-reload*)
		if rmmod nexus && insmod /nexus.ko $params; then
			say "reloaded; state files: $(cd /var/lib/nexus && echo *)"
		else
			say "reload failed"
		fi
		;;
	*nexus-stop*) break ;;
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
