#!/usr/bin/env bash
# daemons.sh - run real Debian daemons on 127.0.0.1 high ports for recon's
# integration tests.  See README.md beside this file.
#
#   daemons.sh install                    apt-get install the daemons (root)
#   daemons.sh start DIR [stock|hardened] start them, state and logs in DIR
#   daemons.sh stop DIR                   stop the daemons recorded in DIR
#   daemons.sh status DIR                 one line per daemon: running or not
#   daemons.sh banners [DIR]              print what each port says first
#   daemons.sh nmap DIR                   nmap -sV the ports, table + DIR/nmap.xml
#
# Every daemon binds 127.0.0.1 only; every probe made here targets 127.0.0.1.
set -u
set -o pipefail

PROG=${0##*/}
HOST=127.0.0.1
MARKER=.recon-daemons
POLICY_RC_D=${POLICY_RC_D:-/usr/sbin/policy-rc.d}   # overridable only to test install
WAIT_SECONDS=${DAEMONS_WAIT_SECONDS:-30}
STOP_WAIT_SECONDS=${DAEMONS_STOP_WAIT_SECONDS:-20}

# name:port:class   class = req (required), db (at least one required), opt
DAEMON_TABLE="ssh:42022:req nginx:42080:req apache:42081:req postfix:42025:req
vsftpd:42021:req redis:42379:req memcached:42211:req mariadb:42306:db
postgresql:42432:db dovecot-imap:42143:opt dovecot-pop3:42110:opt
mosquitto:41883:opt mosquitto-anon:41884:opt bind:42053:opt ngircd:42667:opt
lighttpd:42082:opt squid:43128:opt rsync:42873:opt telnetd:42023:opt
nginx-https:42443:opt postfix-smtps:42465:opt dovecot-imaps:42993:opt
dovecot-pop3s:42995:opt"

# Debian packages (those without an install candidate are skipped with a note).
PACKAGES="openssh-server nginx apache2 postfix vsftpd redis-server memcached
mariadb-server postgresql dovecot-imapd dovecot-pop3d mosquitto
bind9 ngircd lighttpd squid rsync inetutils-telnetd openbsd-inetd openssl
netcat-openbsd nmap python3 iproute2 procps util-linux"

has_candidate() {
    local out
    out=$(apt-cache policy "$1" 2>/dev/null) || return 1
    [[ $out == *"Candidate: "[0-9]* ]]
}

# Standard ports the packages would use for their system-wide instances.
STANDARD_PORTS="21 22 23 25 53 80 110 143 443 465 587 873 953 993 995 1883 3128 3306 5432 6379 6667 11211"

die() { echo "$PROG: $*" >&2; exit 2; }
note() { echo "$PROG: $*" >&2; }

all_ports() {
    local e out=""
    for e in $DAEMON_TABLE; do
        out="$out${out:+,}$(echo "$e" | cut -d: -f2)"
    done
    echo "$out"
}

need_root() {
    [ "$(id -u)" = 0 ] || die "must run as root (sshd, apache2, vsftpd and postfix need it)"
}

python() {
    if [ -x /usr/bin/python3 ]; then /usr/bin/python3 "$@"; else python3 "$@"; fi
}

# Listening TCP sockets as "PORT PID" lines (PID may be empty).
listeners() {
    ss -ltnpH 2>/dev/null | awk '{
        n = split($4, a, ":"); port = a[n]; pid = ""
        if (match($0, /pid=[0-9]+/)) pid = substr($0, RSTART + 4, RLENGTH - 4)
        print port, pid }'
}

# ----------------------------------------------------------------- install
cmd_install() {
    need_root
    export DEBIAN_FRONTEND=noninteractive
    local t0 created_policy=0 pkgs="" p before after
    t0=$(date +%s)

    if ! has_candidate nginx; then
        note "no package lists yet: apt-get update"
        apt-get update -q || die "apt-get update failed"
    fi

    # Keep the packages from starting their system-wide instances.  A
    # policy-rc.d that exits 101 makes invoke-rc.d refuse every start.
    if [ -e "$POLICY_RC_D" ]; then
        note "$POLICY_RC_D already exists; leaving it as it is"
    else
        printf '#!/bin/sh\n# recon daemons.sh: temporary, removed after install\nexit 101\n' \
            > "$POLICY_RC_D"
        chmod 755 "$POLICY_RC_D"
        created_policy=1
        trap 'grep -q "recon daemons.sh" "$POLICY_RC_D" 2>/dev/null && rm -f "$POLICY_RC_D"' EXIT
    fi

    # Postfix: no system configuration, so no system instance to start.
    debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string recon-test.localdomain
EOF

    # One apt-cache call for all packages: keep those with a candidate.
    local policy
    # shellcheck disable=SC2086
    policy=$(apt-cache policy $PACKAGES 2>/dev/null)
    for p in $PACKAGES; do
        if awk -v p="$p:" '$0 == p { f = 1; next } /^[^ ]/ { f = 0 }
                f && $1 == "Candidate:" && $2 ~ /^[0-9]/ { ok = 1 } END { exit !ok }' <<<"$policy"; then
            pkgs="$pkgs $p"
        else
            note "package $p has no candidate; skipped"
        fi
    done

    before=$(listeners)
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $pkgs || die "apt-get install failed"
    after=$(listeners)

    # If a package started a system instance on a standard port anyway, stop
    # exactly the processes that appeared during this install.
    local port pid
    while read -r port pid; do
        [ -n "$pid" ] || continue
        case " $STANDARD_PORTS " in *" $port "*) ;; *) continue ;; esac
        if ! grep -q " $pid\$" <<<"$before"; then
            note "install started a system instance on port $port (pid $pid, $(cat /proc/"$pid"/comm 2>/dev/null)); stopping it"
            kill -TERM "$pid" 2>/dev/null
        fi
    done <<<"$after"

    if [ "$created_policy" = 1 ]; then
        rm -f "$POLICY_RC_D"
        trap - EXIT
    fi
    echo "install done in $(( $(date +%s) - t0 )) s"
}


# ------------------------------------------------------------- common (DIR)
D=""      # absolute state directory, set by use_dir
MODE=""   # stock | hardened

use_dir() {
    [ -n "${1:-}" ] || die "missing DIR"
    D=$(realpath -m -- "$1") || die "bad DIR: $1"
    [[ $D =~ ^/[A-Za-z0-9._/+-]+$ ]] || die "DIR may contain only letters, digits and ._/+- : $D"
    [ "$D" != / ] || die "DIR must not be /"
    # Unix sockets (MariaDB, PostgreSQL, Dovecot) live in DIR: keep it short.
    [ ${#D} -le 60 ] || die "DIR path too long (at most 60 characters): $D"
}

daemon_names() { local e; for e in $DAEMON_TABLE; do echo "${e%%:*}"; done; }
port_of() { local e; for e in $DAEMON_TABLE; do [ "${e%%:*}" = "$1" ] && { e=${e#*:}; echo "${e%%:*}"; }; done; }
# The other ports of the process that serves NAME's port.
twins_of() {
    case $1 in
        dovecot-imap) echo "dovecot-pop3 dovecot-imaps dovecot-pop3s" ;;
        nginx) echo nginx-https ;;
        postfix) echo postfix-smtps ;;
    esac
}
class_of() { local e; for e in $DAEMON_TABLE; do [ "${e%%:*}" = "$1" ] && echo "${e##*:}"; done; }

# The PID file of each daemon (written by the daemon or by its launcher) and
# the process names (/proc/PID/comm) that PID may have.  A launcher is a
# bash that writes its own PID and then execs the daemon, so the PID stays.
pidfile_of() {
    case $1 in
        ssh) echo "$D/sshd.pid" ;;
        nginx) echo "$D/nginx.pid" ;;
        apache) echo "$D/apache2.pid" ;;
        postfix) echo "$D/postfix-queue/pid/master.pid" ;;
        vsftpd) echo "$D/vsftpd.pid" ;;
        redis) echo "$D/redis.pid" ;;
        memcached) echo "$D/memcached.pid" ;;
        mariadb) echo "$D/mariadb.pid" ;;
        postgresql) echo "$D/postgresql.pid" ;;
        dovecot-imap|dovecot-pop3) echo "$D/dovecot.pid" ;;
        mosquitto) echo "$D/mosquitto.pid" ;;
        mosquitto-anon) echo "$D/mosquitto-anon.pid" ;;
        bind) echo "$D/named.pid" ;;
        ngircd) echo "$D/ngircd.pid" ;;
        lighttpd) echo "$D/lighttpd.pid" ;;
        squid) echo "$D/squid.pid" ;;
        rsync) echo "$D/rsyncd.pid" ;;
        telnetd) echo "$D/inetd.pid" ;;
        nginx-https) echo "$D/nginx.pid" ;;
        postfix-smtps) echo "$D/postfix-queue/pid/master.pid" ;;
        dovecot-imaps|dovecot-pop3s) echo "$D/dovecot.pid" ;;
    esac
}
comms_of() {
    case $1 in
        ssh) echo sshd ;;
        nginx) echo nginx ;;
        apache) echo apache2 ;;
        postfix) echo master ;;
        vsftpd) echo "vsftpd bash" ;;
        redis) echo redis-server ;;
        memcached) echo memcached ;;
        mariadb) echo "mariadbd bash" ;;
        postgresql) echo "postgres bash setpriv" ;;
        dovecot-imap|dovecot-pop3) echo "dovecot bash" ;;
        mosquitto|mosquitto-anon) echo "mosquitto bash" ;;
        bind) echo "named bash" ;;
        ngircd) echo "ngircd bash" ;;
        lighttpd) echo "lighttpd bash" ;;
        squid) echo "squid bash" ;;
        rsync) echo "rsync bash" ;;
        telnetd) echo "inetd bash" ;;
        nginx-https) echo nginx ;;
        postfix-smtps) echo master ;;
        dovecot-imaps|dovecot-pop3s) echo "dovecot bash" ;;
    esac
}

# PID of NAME's running process, from its PID file; fails if none.
# True if the process exists and is not a zombie (PID 1 here may not reap orphans).
alive() {
    [ -r "/proc/$1/stat" ] || return 1
    case "$( { cut -d')' -f2 < "/proc/$1/stat"; } 2>/dev/null)" in " Z"*) return 1 ;; esac
    return 0
}

daemon_pid() {
    local f pid comm
    f=$(pidfile_of "$1")
    [ -s "$f" ] || return 1
    pid=$(head -n1 "$f" | tr -dc '0-9')
    [ -n "$pid" ] && alive "$pid" || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    case " $(comms_of "$1") " in *" $comm "*) echo "$pid" ;; *) return 1 ;; esac
}

running_names() {
    local n out=""
    for n in $(daemon_names); do
        daemon_pid "$n" >/dev/null && out="$out $n"
    done
    echo "${out# }"
}

port_listening() { listeners | awk -v p="$1" '$1 == p { f = 1 } END { exit !f }'; }
port_pid() { listeners | awk -v p="$1" '$1 == p && $2 != "" { print $2; exit }'; }

# One TCP connect to 127.0.0.1:PORT (and nothing sent).
port_connects() {
    timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

last_log() {
    local f
    for f in "$@"; do
        [ -s "$f" ] || continue
        grep -v '^[[:space:]]*$' "$f" | tail -n1 | tr -s '\t ' '  ' | cut -c1-160
        return
    done
    echo "(no log)"
}

# Write a launcher that records its own PID, then execs the daemon in the
# foreground.  Started with setsid, detached from our terminal and stdio.
launch() {  # NAME LOG COMMAND...
    local name=$1 log=$2 script="$D/run-$1.sh"
    shift 2
    {
        echo '#!/bin/bash'
        echo "# generated by $PROG: runs $name in the foreground"
        echo "echo \$\$ > $(pidfile_of "$name")"
        printf 'exec'
        printf ' %q' "$@"
        echo
    } > "$script"
    chmod 755 "$script"
    if [ "$name" = vsftpd ]; then
        # vsftpd reports config errors ("500 OOPS: ...") on fd 0
        : > "$D/vsftpd.oops"
        setsid bash "$script" 0<>"$D/vsftpd.oops" >>"$log" 2>&1 &
    else
        setsid bash "$script" </dev/null >>"$log" 2>&1 &
    fi
}

write_index() {  # DIR TITLE
    mkdir -p "$1"
    cat > "$1/index.html" <<EOF
<!DOCTYPE html>
<html><head><title>$2</title></head>
<body><h1>$2</h1><p>recon integration test page.</p></body></html>
EOF
    chmod -R a+rX "$1"
}

REASON=""
fail() { REASON=$*; return 1; }

# ------------------------------------------------------------- the daemons
start_ssh() {
    local cfg="$D/sshd_config" t banner=yes
    [ -x /usr/sbin/sshd ] || fail "not installed (openssh-server)" || return 1
    mkdir -p /run/sshd && chmod 755 /run/sshd
    for t in ed25519 ecdsa rsa; do
        [ -s "$D/ssh_host_${t}_key" ] ||
            ssh-keygen -q -N '' -t "$t" -C recon-test -f "$D/ssh_host_${t}_key" ||
            fail "ssh-keygen -t $t failed" || return 1
    done
    [ "$MODE" = hardened ] && banner=no
    cat > "$cfg" <<EOF
# recon test sshd ($MODE); nobody can log in: no password, no keys.
Port $(port_of ssh)
ListenAddress $HOST
AddressFamily inet
HostKey $D/ssh_host_ed25519_key
HostKey $D/ssh_host_ecdsa_key
HostKey $D/ssh_host_rsa_key
PidFile $D/sshd.pid
# stock: Debian default (DebianBanner yes); hardened: no Debian revision
DebianBanner $banner
UsePAM no
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile none
AllowTcpForwarding no
X11Forwarding no
PermitTunnel no
UseDNS no
LogLevel INFO
EOF
    /usr/sbin/sshd -t -f "$cfg" >>"$D/sshd.log" 2>&1 || fail "sshd -t: $(last_log "$D/sshd.log")" || return 1
    /usr/sbin/sshd -f "$cfg" -E "$D/sshd.log" || fail "sshd: $(last_log "$D/sshd.log")"
}

start_nginx() {
    local cfg="$D/nginx.conf" tokens=on
    command -v nginx >/dev/null || fail "not installed (nginx)" || return 1
    make_cert || return 1
    mkdir -p "$D/nginx-tmp"
    write_index "$D/www-nginx" "recon test nginx"
    [ "$MODE" = hardened ] && tokens=off
    cat > "$cfg" <<EOF
# recon test nginx ($MODE)
user www-data;
worker_processes 1;
daemon on;
pid $D/nginx.pid;
error_log $D/nginx-error.log warn;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $D/nginx-access.log;
    client_body_temp_path $D/nginx-tmp/body;
    proxy_temp_path $D/nginx-tmp/proxy;
    fastcgi_temp_path $D/nginx-tmp/fastcgi;
    uwsgi_temp_path $D/nginx-tmp/uwsgi;
    scgi_temp_path $D/nginx-tmp/scgi;
    # stock: nginx default (on: "Server: nginx/1.x.y"); hardened: off
    server_tokens $tokens;
    server {
        listen $HOST:$(port_of nginx);
        server_name recon-test.localdomain;
        root $D/www-nginx;
        index index.html;
    }
    # the same site over implicit TLS (https)
    server {
        listen $HOST:$(port_of nginx-https) ssl;
        server_name recon-test.localdomain;
        ssl_certificate $D/tls.crt;
        ssl_certificate_key $D/tls.key;
        root $D/www-nginx;
        index index.html;
    }
}
EOF
    local args=(-e "$D/nginx-error.log" -p "$D/" -c "$cfg")
    nginx -t -q "${args[@]}" >>"$D/nginx-start.log" 2>&1 || fail "nginx -t: $(last_log "$D/nginx-start.log")" || return 1
    nginx "${args[@]}" >>"$D/nginx-start.log" 2>&1 || fail "nginx: $(last_log "$D/nginx-start.log" "$D/nginx-error.log")"
}

start_apache() {
    local cfg="$D/apache2.conf" m tokens=OS sig=On mods=/usr/lib/apache2/modules
    command -v apache2 >/dev/null || fail "not installed (apache2)" || return 1
    mkdir -p "$D/apache-run"
    write_index "$D/www-apache" "recon test apache"
    # Debian ships ServerTokens OS and ServerSignature On (conf-available/security.conf)
    [ "$MODE" = hardened ] && { tokens=Prod; sig=Off; }
    {
        echo "# recon test apache2 ($MODE)"
        echo "ServerRoot $D"
        echo "DefaultRuntimeDir $D/apache-run"
        echo "PidFile $D/apache2.pid"
        echo "Listen $HOST:$(port_of apache)"
        echo "ServerName recon-test.localdomain"
        echo "User www-data"
        echo "Group www-data"
        for m in mpm_event authz_core authz_host dir mime alias; do
            echo "LoadModule ${m}_module $mods/mod_$m.so"
        done
        echo "ErrorLog $D/apache-error.log"
        echo "LogLevel warn"
        echo 'LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined'
        echo "CustomLog $D/apache-access.log combined"
        [ -f /etc/mime.types ] && echo "TypesConfig /etc/mime.types"
        echo "StartServers 1"
        echo "ServerLimit 2"
        echo "ThreadsPerChild 8"
        echo "MinSpareThreads 4"
        echo "MaxSpareThreads 16"
        echo "MaxRequestWorkers 16"
        echo "<Directory />"
        echo "    AllowOverride None"
        echo "    Require all denied"
        echo "</Directory>"
        echo "DocumentRoot $D/www-apache"
        echo "<Directory $D/www-apache>"
        echo "    Require all granted"
        echo "</Directory>"
        echo "DirectoryIndex index.html"
        echo "# stock: Debian's security.conf values; hardened: hide versions"
        echo "ServerTokens $tokens"
        echo "ServerSignature $sig"
        echo "TraceEnable Off"
    } > "$cfg"
    apache2 -t -f "$cfg" >>"$D/apache-start.log" 2>&1 || fail "apache2 -t: $(last_log "$D/apache-start.log")" || return 1
    apache2 -f "$cfg" -k start >>"$D/apache-start.log" 2>&1 ||
        fail "apache2: $(last_log "$D/apache-start.log" "$D/apache-error.log")"
}

start_postfix() {
    local c="$D/postfix" banner master
    command -v postfix >/dev/null || fail "not installed (postfix)" || return 1
    mkdir -p "$c" "$D/postfix-queue" "$D/postfix-data"
    chown postfix "$D/postfix-data"
    # Debian's main.cf sets "$myhostname ESMTP $mail_name (Debian/GNU)".
    banner='$myhostname ESMTP $mail_name (Debian/GNU)'
    [ "$MODE" = hardened ] && banner='$myhostname ESMTP'
    cat > "$c/main.cf" <<EOF
# recon test postfix ($MODE): a separate instance that delivers nothing.
compatibility_level = 3.6
queue_directory = $D/postfix-queue
data_directory = $D/postfix-data
maillog_file = $D/postfix.log
maillog_file_prefixes = $D
myhostname = recon-test.localdomain
mydomain = localdomain
myorigin = \$myhostname
mydestination =
inet_interfaces = $HOST
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
default_transport = error:recon test instance delivers no mail
relay_transport = error:recon test instance delivers no mail
local_transport = error:recon test instance delivers no mail
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
biff = no
smtpd_banner = $banner
EOF
    master=/etc/postfix/master.cf
    [ -f "$master" ] || master=/usr/share/postfix/master.cf.dist
    [ -f "$master" ] || fail "no master.cf to copy" || return 1
    # The SMTP service on 127.0.0.1:PORT; no chroot (a chroot needs copies
    # of /etc files inside the queue directory).
    # SMTPS (implicit TLS, RFC 8314) on 127.0.0.1:PORT with the test certificate.
    make_cert || return 1
    awk -v smtp="$HOST:$(port_of postfix)" -v smtps="$HOST:$(port_of postfix-smtps)" -v d="$D" '
        /^smtp[ \t]+inet[ \t]/ {
            print smtp "  inet  n       -       n       -       -       smtpd"
            print smtps "  inet  n       -       n       -       -       smtpd"
            print "  -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt"
            print "  -o smtpd_tls_cert_file=" d "/tls.crt -o smtpd_tls_key_file=" d "/tls.key"
            next }
        /^[a-z]/ && NF >= 8    { $5 = "n" }
        { print }' "$master" > "$c/master.cf"
    postfix -c "$c" check >>"$D/postfix-start.log" 2>&1 || fail "postfix check: $(last_log "$D/postfix-start.log")" || return 1
    postfix -c "$c" start >>"$D/postfix-start.log" 2>&1 || fail "postfix start: $(last_log "$D/postfix-start.log" "$D/postfix.log")"
}

start_vsftpd() {
    local cfg="$D/vsftpd.conf"
    [ -x /usr/sbin/vsftpd ] || fail "not installed (vsftpd)" || return 1
    mkdir -p "$D/vsftpd-empty" && chmod 755 "$D/vsftpd-empty"
    : > "$D/vsftpd.user_list"
    {
        echo "# recon test vsftpd ($MODE); userlist is empty: nobody may log in"
        echo "listen=YES"
        echo "listen_ipv6=NO"
        echo "listen_address=$HOST"
        echo "listen_port=$(port_of vsftpd)"
        echo "background=NO"
        echo "anonymous_enable=NO"
        echo "local_enable=YES"
        echo "userlist_enable=YES"
        echo "userlist_deny=NO"
        echo "userlist_file=$D/vsftpd.user_list"
        echo "write_enable=NO"
        echo "pam_service_name=vsftpd"
        echo "secure_chroot_dir=$D/vsftpd-empty"
        echo "xferlog_enable=YES"
        echo "vsftpd_log_file=$D/vsftpd.log"
        echo "connect_from_port_20=NO"
        echo "seccomp_sandbox=NO"
        echo "# stock: vsftpd default banner \"(vsFTPd x.y.z)\"; hardened: fixed text"
        [ "$MODE" = hardened ] && echo "ftpd_banner=Welcome"
    } > "$cfg"
    launch vsftpd "$D/vsftpd.out" /usr/sbin/vsftpd "$cfg"
}

start_redis() {
    command -v redis-server >/dev/null || fail "not installed (redis-server)" || return 1
    # Redis has no version banner, but INFO shows redis_version to any client.
    # stock: no password (INFO answers); hardened: requirepass (INFO needs AUTH).
    local auth=()
    [ "$MODE" = hardened ] && auth=(--requirepass recon-hardened-test)
    redis-server --port "$(port_of redis)" --bind "$HOST" --protected-mode yes \
        --daemonize yes --pidfile "$D/redis.pid" --dir "$D" --logfile "$D/redis.log" \
        --save '' --appendonly no "${auth[@]}" >>"$D/redis-start.log" 2>&1 ||
        fail "redis-server: $(last_log "$D/redis-start.log" "$D/redis.log")"
}

start_memcached() {
    command -v memcached >/dev/null || fail "not installed (memcached)" || return 1
    # memcached answers "version" to anyone: same in both modes.
    memcached -l "$HOST" -p "$(port_of memcached)" -U 0 -m 16 -c 64 -u root -d \
        -P "$D/memcached.pid" >>"$D/memcached.log" 2>&1 ||
        fail "memcached: $(last_log "$D/memcached.log")"
}

start_mariadb() {
    local args
    [ -x /usr/sbin/mariadbd ] || fail "not installed (mariadb-server)" || return 1
    mkdir -p "$D/mysql"
    args=(--no-defaults --datadir="$D/mysql" --port="$(port_of mariadb)"
          --bind-address="$HOST" --socket="$D/mysql.sock" --pid-file="$D/mysql.pid"
          --user=root --log-error="$D/mariadb.log" --skip-name-resolve
          --skip-log-bin --innodb-buffer-pool-size=32M --max-connect-errors=1000000
          --init-file="$D/mariadb-init.sql")
    # hardened: MariaDB's --version=STR overrides the version in the handshake
    [ "$MODE" = hardened ] && args+=(--version=MariaDB)
    if [ ! -d "$D/mysql/mysql" ]; then
        # root may log in only through the unix socket in DIR (no TCP logins)
        timeout 120 mariadb-install-db --no-defaults --datadir="$D/mysql" --user=root \
            --skip-test-db --skip-name-resolve >>"$D/mariadb-install.log" 2>&1 ||
            fail "mariadb-install-db: $(last_log "$D/mariadb-install.log")" || return 1
    fi
    # With --skip-name-resolve, root@localhost does not match 127.0.0.1 and the
    # server would answer "Host '127.0.0.1' is not allowed" instead of its
    # handshake.  A locked account for 127.0.0.1 gives the normal handshake
    # (as a stock Debian server, which resolves 127.0.0.1 to localhost, does).
    echo "CREATE USER IF NOT EXISTS 'recon-probe'@'127.0.0.1' ACCOUNT LOCK;" > "$D/mariadb-init.sql"
    launch mariadb "$D/mariadb.out" /usr/sbin/mariadbd "${args[@]}"
}

start_postgresql() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    [ -n "$bin" ] && [ -x "$bin/postgres" ] || fail "not installed (postgresql)" || return 1
    mkdir -p "$D/pgdata" "$D/pg-run"
    chown postgres:postgres "$D/pgdata" "$D/pg-run"
    chmod 700 "$D/pgdata"
    if [ ! -s "$D/pgdata/PG_VERSION" ]; then
        # TCP logins need a password, and no role has one.
        timeout 120 setpriv --reuid=postgres --regid=postgres --init-groups -- \
            "$bin/initdb" -D "$D/pgdata" -U postgres --auth-local=peer \
            --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C \
            >>"$D/postgresql-initdb.log" 2>&1 ||
            fail "initdb: $(last_log "$D/postgresql-initdb.log")" || return 1
    fi
    # No banner before authentication: same in both modes.
    launch postgresql "$D/postgresql.log" setpriv --reuid=postgres --regid=postgres \
        --init-groups -- "$bin/postgres" -D "$D/pgdata" -p "$(port_of postgresql)" \
        -c listen_addresses="$HOST" -c unix_socket_directories="$D/pg-run" \
        -c logging_collector=off -c fsync=off
}

start_dovecot() {
    local cfg="$D/dovecot.conf"
    [ -x /usr/sbin/dovecot ] || fail "not installed (dovecot-imapd)" || return 1
    make_cert || return 1
    mkdir -p "$D/dovecot-run" "$D/dovecot-state" "$D/dovecot-mail"
    : > "$D/dovecot.passwd"
    {
        echo "# recon test dovecot ($MODE); the passwd file is empty: nobody may log in"
        echo "protocols = imap pop3"
        echo "listen = $HOST"
        echo "base_dir = $D/dovecot-run/"
        echo "state_dir = $D/dovecot-state"
        echo "log_path = $D/dovecot.log"
        echo "ssl = yes"
        echo "ssl_cert = <$D/tls.crt"
        echo "ssl_key = <$D/tls.key"
        echo "auth_mechanisms = plain"
        echo "passdb {"
        echo "  driver = passwd-file"
        echo "  args = $D/dovecot.passwd"
        echo "}"
        echo "userdb {"
        echo "  driver = passwd-file"
        echo "  args = $D/dovecot.passwd"
        echo "}"
        echo "mail_location = maildir:$D/dovecot-mail/%u"
        echo "service imap-login {"
        echo "  inet_listener imap {"
        echo "    port = $(port_of dovecot-imap)"
        echo "  }"
        echo "  inet_listener imaps {"
        echo "    port = $(port_of dovecot-imaps)"
        echo "  }"
        echo "}"
        echo "service pop3-login {"
        echo "  inet_listener pop3 {"
        echo "    port = $(port_of dovecot-pop3)"
        echo "  }"
        echo "  inet_listener pop3s {"
        echo "    port = $(port_of dovecot-pop3s)"
        echo "  }"
        echo "}"
        echo "# stock: Debian default greeting \"Dovecot (Debian) ready.\"; hardened: plain"
        [ "$MODE" = hardened ] && echo "login_greeting = Server ready."
    } > "$cfg"
    dovecot -c "$cfg" -n >/dev/null 2>>"$D/dovecot-start.log" || fail "doveconf: $(last_log "$D/dovecot-start.log")" || return 1
    launch dovecot-imap "$D/dovecot-start.log" /usr/sbin/dovecot -F -c "$cfg"
}

start_mosquitto() {
    local cfg="$D/mosquitto.conf"
    [ -x /usr/sbin/mosquitto ] || fail "not installed (mosquitto)" || return 1
    cat > "$cfg" <<EOF
# recon test mosquitto ($MODE); MQTT has no version banner: same in both modes
listener $(port_of mosquitto) $HOST
allow_anonymous false
persistence false
log_dest stderr
EOF
    launch mosquitto "$D/mosquitto.log" /usr/sbin/mosquitto -c "$cfg"
}

# A self-signed test certificate for the implicit-TLS ports (made once per DIR).
make_cert() {
    [ -s "$D/tls.crt" ] && [ -s "$D/tls.key" ] && return 0
    command -v openssl >/dev/null || fail "not installed (openssl)" || return 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj /CN=recon-test.localdomain -keyout "$D/tls.key" -out "$D/tls.crt" \
        >>"$D/openssl.log" 2>&1 || fail "openssl: $(last_log "$D/openssl.log")" || return 1
    # A throw-away test key; the daemons' workers (postfix, dovecot) read it.
    chmod 644 "$D/tls.key" "$D/tls.crt"
}

start_mosquitto_anon() {
    local cfg="$D/mosquitto-anon.conf" sys=10
    [ -x /usr/sbin/mosquitto ] || fail "not installed (mosquitto)" || return 1
    # stock: anonymous clients may subscribe to $SYS/broker/version (the broker's version);
    # hardened: sys_interval 0 publishes no $SYS topics.
    [ "$MODE" = hardened ] && sys=0
    cat > "$cfg" <<EOF
# recon test mosquitto with anonymous clients ($MODE)
listener $(port_of mosquitto-anon) $HOST
allow_anonymous true
persistence false
sys_interval $sys
log_dest stderr
EOF
    launch mosquitto-anon "$D/mosquitto-anon.log" /usr/sbin/mosquitto -c "$cfg"
}

start_bind() {
    local cfg="$D/named.conf" version=""
    [ -x /usr/sbin/named ] || fail "not installed (bind9)" || return 1
    mkdir -p "$D/bind"
    chown bind "$D/bind"
    # stock: version.bind answers the package version; hardened: version "none".
    [ "$MODE" = hardened ] && version='version "none";'
    cat > "$cfg" <<EOF
// recon test BIND ($MODE): authoritative for nothing, no recursion, loopback only
options {
    directory "$D/bind";
    pid-file none;
    listen-on port $(port_of bind) { $HOST; };
    listen-on-v6 { none; };
    recursion no;
    allow-query { 127.0.0.1; };
    dnssec-validation no;
    notify no;
    $version
};
controls { };
EOF
    /usr/bin/named-checkconf "$cfg" >>"$D/named.log" 2>&1 || fail "named-checkconf: $(last_log "$D/named.log")" || return 1
    launch bind "$D/named.log" /usr/sbin/named -f -4 -u bind -c "$cfg"
}

start_ngircd() {
    local cfg="$D/ngircd.conf"
    [ -x /usr/sbin/ngircd ] || fail "not installed (ngircd)" || return 1
    # ngIRCd sends its version to every client that registers (RPL_YOURHOST, RPL_MYINFO)
    # and has no setting to hide it: the same in both modes.
    cat > "$cfg" <<EOF
# recon test ngircd ($MODE); silent until a client registers
[Global]
	Name = recon-test.localdomain
	Info = recon test ngircd
	Listen = $HOST
	Ports = $(port_of ngircd)
	ServerUID = irc
	ServerGID = irc
	MotdPhrase = recon test
[Limits]
	# Debian's ngircd.conf value (the built-in default is 5)
	MaxConnectionsIP = 10
[Options]
	PAM = no
	Ident = no
	DNS = no
EOF
    /usr/sbin/ngircd -t -f "$cfg" >>"$D/ngircd.log" 2>&1 || fail "ngircd -t: $(last_log "$D/ngircd.log")" || return 1
    launch ngircd "$D/ngircd.log" /usr/sbin/ngircd -n -f "$cfg"
}

start_lighttpd() {
    local cfg="$D/lighttpd.conf" tag=""
    command -v lighttpd >/dev/null || fail "not installed (lighttpd)" || return 1
    write_index "$D/www-lighttpd" "recon test lighttpd"
    mkdir -p "$D/lighttpd-logs"
    chown www-data "$D/lighttpd-logs"
    # stock: "Server: lighttpd/1.4.x"; hardened: server.tag without the version.
    [ "$MODE" = hardened ] && tag='server.tag = "lighttpd"'
    cat > "$cfg" <<EOF
# recon test lighttpd ($MODE)
server.document-root = "$D/www-lighttpd"
server.port = $(port_of lighttpd)
server.bind = "$HOST"
server.errorlog = "$D/lighttpd-logs/error.log"
server.username = "www-data"
server.groupname = "www-data"
index-file.names = ( "index.html" )
$tag
EOF
    lighttpd -tt -f "$cfg" >>"$D/lighttpd-start.log" 2>&1 || fail "lighttpd -tt: $(last_log "$D/lighttpd-start.log")" || return 1
    launch lighttpd "$D/lighttpd-start.log" /usr/sbin/lighttpd -D -f "$cfg"
}

start_squid() {
    local cfg="$D/squid.conf" quiet=""
    command -v squid >/dev/null || fail "not installed (squid)" || return 1
    mkdir -p "$D/squid"
    chown proxy "$D/squid"
    # stock: "Server: squid/5.x", Via and error pages name the version; hardened: none.
    [ "$MODE" = hardened ] && quiet=$'httpd_suppress_version_string on\nvia off'
    cat > "$cfg" <<EOF
# recon test squid ($MODE): no cache, no ICMP pinger, loopback clients only
http_port $HOST:$(port_of squid)
pid_filename none
cache_effective_user proxy
access_log stdio:$D/squid/access.log
cache_log $D/squid/cache.log
cache_store_log none
cache deny all
coredump_dir $D/squid
netdb_filename none
pinger_enable off
http_access allow localhost
http_access deny all
shutdown_lifetime 1 seconds
$quiet
EOF
    squid -k parse -f "$cfg" >>"$D/squid-start.log" 2>&1 || fail "squid -k parse: $(last_log "$D/squid-start.log")" || return 1
    launch squid "$D/squid-start.log" /usr/sbin/squid -N -f "$cfg"
}

start_rsync() {
    local cfg="$D/rsyncd.conf"
    command -v rsync >/dev/null || fail "not installed (rsync)" || return 1
    mkdir -p "$D/rsync-empty"
    # rsyncd's greeting names the protocol version only: the same in both modes.
    cat > "$cfg" <<EOF
# recon test rsyncd ($MODE): one hidden, empty, read-only module
use chroot = no
[empty]
    path = $D/rsync-empty
    read only = yes
    list = no
EOF
    launch rsync "$D/rsync.log" rsync --daemon --no-detach --address="$HOST" \
        --port="$(port_of rsync)" --config="$cfg" --log-file="$D/rsync.log"
}

start_telnetd() {
    local cfg="$D/inetd.conf"
    [ -x /usr/sbin/inetd ] || fail "not installed (openbsd-inetd)" || return 1
    [ -x /usr/sbin/telnetd ] || fail "not installed (inetutils-telnetd)" || return 1
    # Nobody logs in (the login program is /bin/false) and no host information is
    # printed: option negotiation only, the same in both modes.
    echo "$HOST:$(port_of telnetd) stream tcp nowait root /usr/sbin/telnetd telnetd -h -E /bin/false" > "$cfg"
    launch telnetd "$D/inetd.log" /usr/sbin/inetd -i "$cfg"
}

start_one() {
    case $1 in
        ssh) start_ssh ;;
        nginx) start_nginx ;;
        apache) start_apache ;;
        postfix) start_postfix ;;
        vsftpd) start_vsftpd ;;
        redis) start_redis ;;
        memcached) start_memcached ;;
        mariadb) start_mariadb ;;
        postgresql) start_postgresql ;;
        dovecot-imap) start_dovecot ;;
        dovecot-pop3) return 0 ;;   # the same dovecot process
        mosquitto) start_mosquitto ;;
        mosquitto-anon) start_mosquitto_anon ;;
        bind) start_bind ;;
        ngircd) start_ngircd ;;
        lighttpd) start_lighttpd ;;
        squid) start_squid ;;
        rsync) start_rsync ;;
        telnetd) start_telnetd ;;
        nginx-https|postfix-smtps|dovecot-imaps|dovecot-pop3s) return 0 ;;   # started with their plain twin
    esac
}

logs_of() {
    case $1 in
        ssh) echo "$D/sshd.log" ;;
        nginx) echo "$D/nginx-error.log $D/nginx-start.log" ;;
        apache) echo "$D/apache-error.log $D/apache-start.log" ;;
        postfix) echo "$D/postfix.log $D/postfix-start.log" ;;
        vsftpd) echo "$D/vsftpd.oops $D/vsftpd.out" ;;
        redis) echo "$D/redis.log" ;;
        memcached) echo "$D/memcached.log" ;;
        mariadb) echo "$D/mariadb.log $D/mariadb.out" ;;
        postgresql) echo "$D/postgresql.log" ;;
        dovecot-*) echo "$D/dovecot.log $D/dovecot-start.log" ;;
        mosquitto) echo "$D/mosquitto.log" ;;
        mosquitto-anon) echo "$D/mosquitto-anon.log" ;;
        bind) echo "$D/named.log" ;;
        ngircd) echo "$D/ngircd.log" ;;
        lighttpd) echo "$D/lighttpd-logs/error.log $D/lighttpd-start.log" ;;
        squid) echo "$D/squid/cache.log $D/squid-start.log" ;;
        rsync) echo "$D/rsync.log" ;;
        telnetd) echo "$D/inetd.log" ;;
        nginx-https) echo "$D/nginx-error.log $D/nginx-start.log" ;;
        postfix-smtps) echo "$D/postfix.log $D/postfix-start.log" ;;
    esac
}

# --------------------------------------------------------------- commands
# Word splitting of $(logs_of ...) and similar lists is intended: DIR holds no
# white space (use_dir checks it).
# shellcheck disable=SC2046
# Our ports lie inside the kernel's ephemeral range (32768-60999): a connect elsewhere on the
# machine (a full-range scan in another test) can hold one as its local port just when a daemon
# binds it, and the daemon fails with EADDRINUSE. While the daemons run, the kernel is told not
# to hand our ports out (ip_local_reserved_ports); stop puts the old list back.
RESERVED=/proc/sys/net/ipv4/ip_local_reserved_ports
reserve_ports() {
    [ -w "$RESERVED" ] || return 0
    local now ours e
    now=$(cat "$RESERVED")
    [ -e "$D/reserved_ports.before" ] || printf '%s\n' "$now" > "$D/reserved_ports.before"
    ours=$(for e in $DAEMON_TABLE; do e=${e#*:}; echo "${e%%:*}"; done | paste -sd, -)
    echo "${now:+$now,}$ours" > "$RESERVED" || note "cannot reserve the daemons' ports"
}
release_ports() {
    [ -w "$RESERVED" ] && [ -e "$D/reserved_ports.before" ] || return 0
    cat "$D/reserved_ports.before" > "$RESERVED" && rm -f "$D/reserved_ports.before"
}

cmd_start() {
    need_root
    use_dir "${1:-}"
    MODE=${2:-stock}
    case $MODE in stock|hardened) ;; *) die "mode must be stock or hardened, not '$MODE'" ;; esac
    if [ -e "$D" ]; then
        [ -d "$D" ] || die "$D exists and is not a directory"
        if [ -e "$D/$MARKER" ]; then
            local running
            running=$(running_names)
            [ -z "$running" ] || die "already running in $D: $running (run '$PROG stop $D' first)"
        elif [ -n "$(ls -A "$D")" ]; then
            die "$D is not empty and was not made by $PROG; refusing to write into it"
        fi
    fi
    local created=0
    [ -e "$D" ] || created=1
    mkdir -p "$D" && chmod 755 "$D" || die "cannot create $D"
    # Worker processes (www-data, nobody, postfix, postgres) must reach DIR.
    if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$D/"; then
        [ "$created" = 1 ] && rmdir "$D"
        die "$D is not reachable by unprivileged users (a parent directory is not world-searchable): use a DIR under /tmp"
    fi
    echo "mode=$MODE started=$(date -u +%FT%TZ)" > "$D/$MARKER"
    reserve_ports

    local t0 n port deadline pending="" p rc=0 db_ok=0
    declare -A result
    t0=$(date +%s%N)

    # A port that something else already listens on: that daemon is not started.
    for n in $(daemon_names); do
        port=$(port_of "$n")
        if port_listening "$port"; then
            p=$(port_pid "$port")
            result[$n]="FAILED port $port already in use${p:+ by pid $p ($(cat /proc/"$p"/comm 2>/dev/null))}"
        fi
    done
    # One process serves several ports (its twins): a port in use fails them all.
    local t
    for n in dovecot-imap nginx postfix; do
        for t in $n $(twins_of "$n"); do
            case ${result[$t]:-} in FAILED*) ;; *) continue ;; esac
            for p in $n $(twins_of "$n"); do
                result[$p]=${result[$p]:-"FAILED not started: port $(port_of "$t") (${t}) in use"}
            done
            break
        done
    done

    # Slowest first, so their initialisation overlaps the others.
    for n in mariadb postgresql squid bind ssh nginx apache postfix vsftpd redis memcached dovecot-imap \
        mosquitto mosquitto-anon ngircd lighttpd rsync telnetd; do
        [ -n "${result[$n]:-}" ] && continue
        rm -f "$(pidfile_of "$n")"    # stale: nothing of ours is running
        REASON=""
        if start_one "$n"; then
            pending="$pending $n $(twins_of "$n")"
        else
            result[$n]="FAILED $REASON"
            for t in $(twins_of "$n"); do result[$t]="FAILED $REASON"; done
        fi
    done

    # Wait (bounded) for each port: poll the listening sockets, then make one
    # connection to 127.0.0.1 to show it accepts.
    deadline=$(( $(date +%s) + WAIT_SECONDS ))
    while [ -n "${pending// /}" ] && [ "$(date +%s)" -lt "$deadline" ]; do
        local still=""
        for n in $pending; do
            port=$(port_of "$n")
            if port_listening "$port"; then
                if port_connects "$port"; then
                    result[$n]=ok
                else
                    result[$n]="FAILED listening but connect to $HOST:$port failed"
                fi
            elif [ -s "$(pidfile_of "$n")" ] && ! daemon_pid "$n" >/dev/null; then
                result[$n]="FAILED exited: $(last_log $(logs_of "$n"))"
            else
                still="$still $n"
            fi
        done
        pending=$still
        [ -n "${pending// /}" ] && sleep 0.2
    done
    for n in $pending; do
        result[$n]="FAILED port $(port_of "$n") not listening after ${WAIT_SECONDS}s: $(last_log $(logs_of "$n"))"
    done
    # Squid answers its first request slowly while it finishes starting (seconds on a loaded
    # machine): one bounded request now, so a scan's 1.5 s deadline meets a ready proxy.
    if [ "${result[squid]:-}" = ok ]; then
        timeout 10 bash -c "exec 3<>/dev/tcp/$HOST/$(port_of squid); printf 'GET / HTTP/1.0\r\n\r\n' >&3; head -c 1 <&3" \
            >/dev/null 2>&1 || note "squid did not answer a first request within 10 s"
    fi

    for n in $(daemon_names); do
        echo "$n $(port_of "$n") ${result[$n]}"
        case $(class_of "$n"):${result[$n]} in
            req:ok) ;;
            req:*) rc=1 ;;
            db:ok) db_ok=1 ;;
        esac
    done
    [ "$db_ok" = 1 ] || { note "no database (mariadb or postgresql) started"; rc=1; }
    echo "start ($MODE) took $(( ($(date +%s%N) - t0) / 1000000 )) ms; logs and configs in $D"
    [ "$rc" = 0 ] || note "a required daemon failed; see the logs in $D"
    return "$rc"
}

cmd_stop() {
    need_root
    use_dir "${1:-}"
    [ -d "$D" ] || { echo "nothing to stop: $D does not exist"; return 0; }
    [ -e "$D/$MARKER" ] || die "$D was not made by $PROG; not touching it"
    local n pid comm pids="" sig deadline left
    for n in $(daemon_names); do
        pid=$(daemon_pid "$n") || continue
        case " $pids " in *" $pid "*) continue ;; esac
        comm=$(cat "/proc/$pid/comm" 2>/dev/null)
        sig=TERM
        [ "$n" = postgresql ] && sig=INT    # PostgreSQL's "fast" shutdown
        if [ "$comm" = bash ] || [ "$comm" = setpriv ]; then
            # still in its launcher: signal the launcher's whole session group
            kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null
        else
            kill -"$sig" "$pid" 2>/dev/null
        fi
        echo "$n: sent SIG$sig to pid $pid ($comm)"
        pids="$pids $pid"
    done
    [ -n "$pids" ] || echo "nothing running in $D"
    deadline=$(( $(date +%s) + STOP_WAIT_SECONDS ))
    while :; do
        left=""
        for pid in $pids; do alive "$pid" && left="$left $pid"; done
        [ -z "$left" ] && break
        if [ "$(date +%s)" -ge "$deadline" ]; then
            for n in $(daemon_names); do
                pid=$(daemon_pid "$n") || continue
                case " $left " in *" $pid "*) ;; *) continue ;; esac
                note "$n (pid $pid) still running after ${STOP_WAIT_SECONDS}s: SIGKILL"
                kill -KILL "$pid" 2>/dev/null
            done
            sleep 0.5
            break
        fi
        sleep 0.2
    done
    # Workers whose master died first (e.g. apache's www-data children) still name DIR in
    # their command line: they are ours, stop them too.
    for pid in $(pgrep -f -- "$D/" 2>/dev/null); do
        [ "$pid" = "$$" ] || [ "$pid" = "$PPID" ] || kill -KILL "$pid" 2>/dev/null
    done
    # PID files written by our launchers (the daemons remove their own).
    for n in vsftpd mariadb postgresql dovecot-imap mosquitto mosquitto-anon bind ngircd lighttpd squid rsync telnetd; do
        daemon_pid "$n" >/dev/null || rm -f "$(pidfile_of "$n")"
    done
    left=$(running_names)
    [ -z "$left" ] || { note "still running: $left"; return 1; }
    release_ports
    echo "stopped"
}

cmd_status() {
    use_dir "${1:-}"
    local n pid port
    for n in $(daemon_names); do
        port=$(port_of "$n")
        if pid=$(daemon_pid "$n"); then
            printf '%-13s %5s running pid %s%s\n' "$n" "$port" "$pid" \
                "$(port_listening "$port" && echo ", listening" || echo ", NOT listening")"
        else
            printf '%-13s %5s not running\n' "$n" "$port"
        fi
    done
}

# shellcheck disable=SC2046
# First words of each service, all from 127.0.0.1 (bounded: 3 s per port).
cmd_banners() {
    python - "$HOST" $(for n in $(daemon_names); do echo "$n:$(port_of "$n")"; done) <<'EOF'
import socket, sys, struct
host = sys.argv[1]
assert host in ("127.0.0.1", "::1")

def conn(port):
    s = socket.create_connection((host, port), timeout=3)
    s.settimeout(3)
    return s

def recv_some(s, n=4096):
    try:
        return s.recv(n)
    except socket.timeout:
        return b""

def first_line(port, send=None):
    with conn(port) as s:
        if send:
            s.sendall(send)
        data = recv_some(s)
    return data.split(b"\n")[0].decode("latin-1").strip()

def http(port):
    out = []
    with conn(port) as s:
        s.sendall(b"HEAD / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = recv_some(s)
            if not chunk:
                break
            data += chunk
    for line in data.decode("latin-1").split("\r\n"):
        if line.lower().startswith("server:"):
            out.append(line)
    if not out:
        out.append("(no Server header)")
    with conn(port) as s:   # error page footer (Apache ServerSignature, nginx tokens)
        s.sendall(b"GET /recon-no-such-page HTTP/1.0\r\nHost: localhost\r\n\r\n")
        data = b""
        for _ in range(20):
            chunk = recv_some(s)
            if not chunk:
                break
            data += chunk
    body = data.decode("latin-1")
    import re
    m = re.search(r"<address>(.*?)</address>", body) or re.search(r"<center>(nginx[^<]*)</center>", body)
    out.append("404 footer: " + (m.group(1) if m else "(none)"))
    return " | ".join(out)

def mysql(port):
    with conn(port) as s:
        data = recv_some(s)
    if len(data) < 6:
        return "(no handshake)"
    if data[4] == 0xff:
        return "error packet: " + data[7:].decode("latin-1")
    return "handshake v%d, version %s" % (data[4], data[5:data.index(b"\0", 5)].decode("latin-1"))

def redis(port):
    with conn(port) as s:
        s.sendall(b"INFO server\r\n")
        data = recv_some(s, 65536)
    for line in data.decode("latin-1").split("\r\n"):
        if line.startswith("redis_version:") or line.startswith("-"):
            return "INFO: " + line
    return "(no version)"

def pg(port):
    with conn(port) as s:
        s.sendall(struct.pack("!ii", 8, 80877103))  # SSLRequest
        data = recv_some(s, 1)
    return "SSLRequest answer %r (no banner before authentication)" % data

def mqtt(port):
    return "(MQTT: no banner before CONNECT)"

probe = {
    "ssh": first_line, "postfix": first_line, "vsftpd": first_line,
    "dovecot-imap": first_line, "dovecot-pop3": first_line,
    "nginx": http, "apache": http, "mariadb": mysql, "redis": redis,
    "memcached": lambda p: first_line(p, b"version\r\n"),
    "postgresql": pg, "mosquitto": mqtt,
}
for arg in sys.argv[2:]:
    name, port = arg.split(":")
    try:
        text = probe[name](int(port))
    except OSError as e:
        text = "(%s)" % (e.strerror or e)
    print("%-13s %5s %s" % (name, port, text))
EOF
}

cmd_nmap() {
    use_dir "${1:-}"
    [ -d "$D" ] || die "$D does not exist"
    command -v nmap >/dev/null || { note "nmap is not installed: skipped"; return 0; }
    local ports t0
    ports=$(all_ports)
    t0=$(date +%s)
    # Target is fixed: 127.0.0.1 only.
    timeout 900 nmap -sV -Pn -n -p "$ports" --host-timeout 840s \
        -oX "$D/nmap.xml" -oN "$D/nmap.txt" 127.0.0.1 >/dev/null 2>"$D/nmap.err" ||
        { note "nmap failed: $(last_log "$D/nmap.err")"; return 1; }
    echo "nmap -sV took $(( $(date +%s) - t0 )) s; XML in $D/nmap.xml"
    python - "$D/nmap.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
rows = [("PORT", "STATE", "SERVICE", "PRODUCT", "VERSION", "EXTRAINFO")]
for port in root.iter("port"):
    st = port.find("state")
    sv = port.find("service")
    g = (lambda k: (sv.get(k) or "") if sv is not None else "")
    rows.append((port.get("portid"), st.get("state") if st is not None else "",
                 g("name"), g("product"), g("version"), g("extrainfo")))
w = [max(len(r[i]) for r in rows) for i in range(5)]
for r in rows:
    print("  ".join(r[i].ljust(w[i]) for i in range(5)) + "  " + r[5])
EOF
}

case "${1:-}" in
    install) shift; cmd_install "$@" ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    status) shift; cmd_status "$@" ;;
    banners) shift; cmd_banners ;;
    nmap) shift; cmd_nmap "$@" ;;
    *) die "usage: $PROG install | start DIR [stock|hardened] | stop DIR | status DIR | banners [DIR] | nmap DIR" ;;
esac
