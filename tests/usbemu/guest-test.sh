#!/bin/sh
# /test.sh of the usbemu guest (run by /init): our usbhid-ups on the
# emulated Ellipse ECO through the kernel's xHCI and libusb, served by our
# upsd and read by our upsc; mains cut and unplug/replug through the
# emulator's command channel (/dev/ttyS1); -k; and, when /nut/usbhid-ups is
# there, Debian's real usbhid-ups 2.8.0 as an oracle. Results go to the
# console between "@@BEGIN name" / "@@END name" lines, single facts as
# "@@name value"; the host test (tests/integration/test_usbemu.py) judges.
export PATH=/bin NUT_CONFPATH=/etc/nut NUT_STATEPATH=/run/nut NUT_ALTPIDPATH=/run/nut
stty -F /dev/ttyS1 raw -echo 2>/dev/null

ctl() { echo "$*" >/dev/ttyS1; }
now() { cut -d' ' -f1 /proc/uptime; }
section() { echo "@@BEGIN $1"; cat "$2"; echo "@@END $1"; }
fact() { echo "@@$1 $2"; }
q() { /nutc/upsc ups@127.0.0.1 "$@" 2>&1; }
has_token() { case " $(q ups.status) " in *" $1 "*) return 0;; esac; return 1; }
# wait_until SECONDS CMD...: poll every 0.1 s
wait_until() {
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		usleep 100000
		n=$((n - 1))
	done
	return 1
}
stale() { q ups.status | grep -qi stale; }
logged() { grep -q "$1" /tmp/ours.log; }

mkdir -p /etc/nut /run/nut
echo 'root:x:0:0:root:/:/bin/sh' >/etc/passwd
echo 'nut:x:100:100:nut:/run/nut:/bin/false' >>/etc/passwd
printf 'root:x:0:\nnut:x:100:\n' >/etc/group
cat >/etc/nut/ups.conf <<'CONF'
maxretry = 3
retrydelay = 1
[ups]
	driver = usbhid-ups
	port = auto
	vendorid = 0463
	productid = ffff
	pollinterval = 2
	desc = "emulated Ellipse ECO"
CONF
printf 'LISTEN 127.0.0.1 3493\n' >/etc/nut/upsd.conf
printf '[admin]\n\tpassword = x\n\tactions = SET\n' >/etc/nut/upsd.users
chmod 640 /etc/nut/*

# ---- the oracle first, on the untouched device
if [ -x /nut/usbhid-ups ]; then
	ctl mark nut-dump
	t0=$(now)
	/nut/usbhid-ups -a ups -u root -d 1 >/tmp/nut-dump.txt 2>/tmp/nut-dump.err
	fact nut-dump-rc "$?"
	fact nut-dump-secs "$t0 $(now)"
	section nut-dump /tmp/nut-dump.txt
	section nut-dump-err /tmp/nut-dump.err
fi

# ---- our driver and upsd
ctl mark ours-start
t0=$(now)
/nutc/usbhid-ups -a ups -u root -F -D -D >/tmp/ours.log 2>&1 &
drv=$!
/nutc/upsd -u root -F >/tmp/upsd.log 2>&1 &
upsd=$!
if wait_until 40 has_token OL; then fact ours-ready "$t0 $(now)"; else fact ours-ready FAIL; fi
q >/tmp/upsc-ol.txt
section upsc-ol /tmp/upsc-ol.txt

# ---- mains cut: the UPS reports it on the interrupt pipe
ctl mark mains-cut
t0=$(now)
ctl mains 0
if wait_until 30 has_token OB; then fact ob "$t0 $(now)"; else fact ob FAIL; fi
wait_until 10 has_token DISCHRG
q >/tmp/upsc-ob.txt
section upsc-ob /tmp/upsc-ob.txt
ctl mains 1
if wait_until 30 has_token OL; then fact ol-again "$(now)"; else fact ol-again FAIL; fi

# ---- unplug / replug
ctl mark unplug
t0=$(now)
ctl disconnect
if wait_until 20 logged "lost the UPS"; then fact lost "$t0 $(now)"; else fact lost FAIL; fi
if wait_until 10 stale; then fact stale "$(q ups.status)"; else fact stale FAIL; fi
ctl mark replug
t0=$(now)
ctl connect
if wait_until 40 logged "reconnected"; then fact reconnected "$t0 $(now)"; else fact reconnected FAIL; fi
if wait_until 20 has_token OL; then fact ol-after-replug "$(now)"; else fact ol-after-replug FAIL; fi
q >/tmp/upsc-replug.txt
section upsc-replug /tmp/upsc-replug.txt

kill "$drv" "$upsd"
wait "$drv"
wait "$upsd"
grep -E 'interrupt report|lost the UPS|reconnect|using |warn|error' /tmp/ours.log | tail -60 >/tmp/ours-excerpt.txt
section ours-log /tmp/ours-excerpt.txt
section upsd-log /tmp/upsd.log

# ---- forced shutdown (-k): the SET_REPORTs land in the emulator's log
ctl mark ours-k
/nutc/usbhid-ups -a ups -u root -k -D >/tmp/ours-k.log 2>&1
fact ours-k-rc "$?"
ctl mark ours-k-end
section ours-k /tmp/ours-k.log
if [ -x /nut/usbhid-ups ]; then
	ctl mark nut-k
	/nut/usbhid-ups -a ups -u root -k >/tmp/nut-k.log 2>&1
	fact nut-k-rc "$?"
	ctl mark nut-k-end
	section nut-k /tmp/nut-k.log
fi
ctl mark finished
usleep 300000
echo "@@DONE"
