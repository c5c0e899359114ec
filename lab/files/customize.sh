#!/bin/bash
# Turns the mmdebstrap tree ($1) into the lab's base system. Runs on the host as root, once per base hash.
set -euo pipefail
T=$1; HERE=$(dirname "$(readlink -f "$0")")

echo cryptvm-lab > "$T/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 cryptvm-lab\n' > "$T/etc/hosts"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' > "$T/etc/fstab"
echo 'root:lab' | chroot "$T" chpasswd
touch "$T/root/.hushlogin"

# Persistent journal, so a test can read the previous boot's shutdown (journalctl -b -1).
mkdir -p "$T/var/log/journal" "$T/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=persistent\n' > "$T/etc/systemd/journald.conf.d/lab.conf"

# cryptvm-guests.service stops the guests here; Debian's libvirt-guests would stall power-off 300 s/guest.
chroot "$T" systemctl mask libvirt-guests.service
# The VM's one NIC (QEMU user-mode, restrict=on): a static address in slirp's net; the only thing reachable is
# tang at 10.0.2.100:80 (guestfwd to the host's loopback). No wait-online: nothing may wait for the network.
mkdir -p "$T/etc/systemd/network"
printf '[Match]\nName=en*\n\n[Network]\nAddress=10.0.2.15/24\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
  > "$T/etc/systemd/network/10-lab.network"
chroot "$T" systemctl enable systemd-networkd.service
chroot "$T" systemctl mask systemd-networkd-wait-online.service
# No libvirt network in the lab: the default network has no dnsmasq and would only log errors.
rm -f "$T/etc/libvirt/qemu/networks/autostart/default.xml"
# Nothing in the lab needs these at boot; they cost seconds under TCG.
chroot "$T" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer 2>/dev/null || true

# Guests (kernel + domain XML) are added per root image by image.mjs, so editing them is cheap.
mkdir -p "$T/var/lib/libvirt/images/secure"

# Key file for lvdata (cr_data). Lives on the root image; disk2 is provisioned with it.
mkdir -p "$T/etc/cryptvm/keys"
chmod 0700 "$T/etc/cryptvm/keys"
head -c 64 /dev/urandom > "$T/etc/cryptvm/keys/data.key"
chmod 0600 "$T/etc/cryptvm/keys/data.key"

# Key server of cr_keysrv (issue 5, the https: source): a lab CA, the server's certificate for 10.0.2.101 (where
# the VM reaches it, a guestfwd to the host's loopback), a token and the secret it serves. The host's side lives
# next to the tree ($KS: never in the VM); the VM gets the CA and the token. disk2's provisioning fetches the
# secret over HTTPS with curl and enrols it, so the volume's key never lies on any image.
KS=$(dirname "$T")/keyserver
rm -rf "$KS"; mkdir -m 0700 "$KS"
ssl() { openssl "$@" 2>/dev/null; }
ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KS/ca.key" -out "$KS/ca.pem" \
  -days 3650 -subj '/CN=cryptvm lab CA'
ssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KS/server.key" -out "$KS/server.csr" \
  -subj '/CN=10.0.2.101'
printf 'subjectAltName=IP:10.0.2.101\nextendedKeyUsage=serverAuth\n' > "$KS/server.ext"
ssl x509 -req -in "$KS/server.csr" -CA "$KS/ca.pem" -CAkey "$KS/ca.key" -CAcreateserial -days 3650 \
  -extfile "$KS/server.ext" -out "$KS/server.pem"
head -c 24 /dev/urandom | base64 | tr -d '\n' > "$KS/token"
head -c 32 /dev/urandom | base64 | tr -d '\n' > "$KS/secret"
install -m 0644 "$KS/ca.pem" "$T/etc/cryptvm/keyserver-ca.pem"
install -m 0600 "$KS/token" "$T/etc/cryptvm/keys/keyserver.token"

# Lab helpers: result channel, provisioning.
install -m 0755 "$HERE/lab-run" "$T/usr/local/sbin/lab-run"
install -m 0755 "$HERE/lab-provision" "$T/usr/local/sbin/lab-provision"
install -m 0644 "$HERE/lab-provision.service" "$T/etc/systemd/system/lab-provision.service"
chroot "$T" systemctl enable lab-provision.service
