#!/bin/sh
# Source: the users' setup guide, section "TLS" (guide/setup-guide.md in the shared
# material): its certutil/openssl steps in its order, with its names, subjects and trust
# flags. Changed only so that it runs unattended in a directory of our choice: the
# password comes from a file (-f), key noise from a file (-z), the -2 questions from stdin.
#   usage: guide-nssdb.sh DIR PASSWORD     (creates DIR/nssdb and the files next to it)
set -e
D=$1
PW=$2
mkdir -p "$D/nssdb"
printf '%s\n' "$PW" > "$D/pw"
head -c 2048 /dev/urandom > "$D/noise"

# Create database
certutil -d "$D/nssdb" -N -f "$D/pw"

# Create CA (basic constraints: a CA, no path length, critical)
printf 'y\n\ny\n' | certutil -S -x -d "$D/nssdb" -n "CA_nut" \
	-s "CN=CA_nut,O=MyCompany,ST=MyState,C=US" -t "CT,," -2 -f "$D/pw" -z "$D/noise"

# Create certificate sign request
certutil -R -d "$D/nssdb" -s "CN=CA_nut,O=MyCompany,ST=MyState,C=US" \
	-o "$D/nut.csr.der" -f "$D/pw" -z "$D/noise"
openssl req -inform der -in "$D/nut.csr.der" -out "$D/nut.csr"

# Create server certificate (not a CA)
printf 'n\n\nn\n' | certutil -C -x -d "$D/nssdb" -a -i "$D/nut.csr" -o "$D/nut.pem" -2 -f "$D/pw"

# Add server certificate to database
certutil -A -d "$D/nssdb" -n "nut" -a -i "$D/nut.pem" -t ',,' -f "$D/pw"

# Check certificates on database
certutil -L -d "$D/nssdb"
certutil -K -d "$D/nssdb" -f "$D/pw"
