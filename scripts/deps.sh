# Sourced by demo.sh and test.sh: installs the Debian packages that are
# missing, and nothing when all are present (so it needs root only once).

metalog_build_deps="build-essential autoconf automake libtool pkg-config
  libyaml-dev libjson-c-dev libcurl4-openssl-dev check zlib1g-dev
  libssl-dev"
# nodejs and npm: tests/test_schema.sh installs ajv from npm to check the
# JSON Schema the way editors do. faketime: tests/test_rotation_time.sh
# runs programs through days of a fast clock. rsyslog: tests/test_syslog.sh
# sends to a private rsyslogd; rsyslog-openssl is its TLS driver, openssl
# the CLI tests/test_syslog_tls.sh makes certificates with, ca-certificates
# the system store the corpus names. man-db and groff-base: tests/test_man.sh
# and the install check format every man page with groff's warnings on.
metalog_test_deps="clang libclang-rt-14-dev valgrind python3 python3-jsonschema
  python3-yaml logrotate nodejs npm faketime rsyslog"
metalog_test_deps="$metalog_test_deps rsyslog-openssl openssl ca-certificates"
metalog_test_deps="$metalog_test_deps man-db groff-base"
# lnav: tests/test_lnav.sh reads metalog's logs with the formats in contrib/lnav.
# systemd: systemd-analyze, with which tests/test_systemd_unit.sh verifies
# the unit in contrib/systemd.
metalog_test_deps="$metalog_test_deps lnav systemd"

metalog_install_missing() {
    missing=""
    # A package counts as present when an installed one provides it: a
    # nodejs build that bundles npm provides npm, and installing Debian's
    # npm beside it would conflict.
    provided=$(dpkg-query -W -f='${db:Status-Abbrev} ${Provides}\n' 2>/dev/null |
        awk '$1 == "ii" { $1 = ""; print }' | tr ',' '\n' | awk '{ print $1 }')
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" &&
            ! printf '%s\n' "$provided" | grep -qx "$pkg"; then
            missing="$missing $pkg"
        fi
    done
    [ -z "$missing" ] && return 0
    echo "installing:$missing"
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: these packages are missing and installing them needs root:$missing" >&2
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# An in-tree build (./autogen.sh && ./configure && make at the top) makes
# automake refuse every build directory ("source directory already
# configured"), and its objects would be found through VPATH in place of
# a build directory's own. The tree's own `make distclean` removes both;
# it is run, and said so, before a build/ directory is configured or made.
metalog_distclean_tree() {
    [ -f "$top/config.status" ] || return 0
    echo "the source tree is configured in place (./configure was run at the top):" \
        "running 'make distclean' there first, as builds in build/ need"
    mkdir -p "$top/build"
    if [ -f "$top/Makefile" ]; then
        (cd "$top" && make distclean) >"$top/build/distclean.out" 2>&1 ||
            cat "$top/build/distclean.out"
    fi
    if [ -f "$top/config.status" ]; then
        echo "error: $top/config.status is still there; remove the in-tree build and run again" >&2
        return 1
    fi
}

# Configures (once) and builds the tree in build/$1 with the remaining
# arguments passed to configure. $metalog_make_targets, when set, are made
# instead of all.
metalog_build() {
    name=$1
    shift
    [ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1) || return 1
    metalog_distclean_tree || return 1
    mkdir -p "$top/build/$name"
    (
        cd "$top/build/$name" &&
        { [ -f Makefile ] || "$top/configure" --enable-werror "$@" >configure.out 2>&1 ||
          { cat configure.out; exit 1; }; } &&
        make -j"$(nproc)" ${metalog_make_targets:-} >make.out 2>&1 || { cat make.out; exit 1; }
    )
}

# Only for `make bench`, which skips any peer that is missing.
metalog_bench_deps="g++ libspdlog-dev liblog4c-dev libgoogle-glog-dev gnuplot-nox"
