#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Writes the fake procfs tree tests/procfs/typical (run from tests/procfs).
# The tree is committed; this script documents it and can rebuild it.
set -eu
rm -rf typical && mkdir typical && cd typical

# stat fields 16..52 after utime and stime: starttime 5000, vsize, rss.
TAIL='0 0 20 0 1 0 5000 123456789 1000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0'
# proc PID COMM CMDLINE(printf format) KSM_STAT(text, or - for none) PPID FLAGS UTIME STIME
proc() {
    mkdir -p "$1"
    printf '%s\n' "$2" >"$1/comm"
    printf -- "$3" >"$1/cmdline"
    case "$4" in
    -) ;;
    '') : >"$1/ksm_stat" ;;
    *) printf '%s\n' "$4" >"$1/ksm_stat" ;;
    esac
    printf '%s (%s) S %s 1 1 0 -1 %s 0 0 0 0 %s %s %s\n' \
        "$1" "$2" "$5" "$6" "$7" "$8" "$TAIL" >"$1/stat"
}
# ksm_stat as kernel 6.18 prints it
kstat() {
    printf 'ksm_rmap_items %s\nksm_zero_pages %s\nksm_merging_pages %s\nksm_process_profit %s\nksm_merge_any: %s\nksm_mergeable: %s\n' "$@"
}

cat >vmstat <<'VMSTAT'
nr_free_pages 1234567
nr_anon_pages 345678
pgfault 99999999
cow_ksm 1234
ksm_swpin_copy 5
thp_fault_alloc 0
VMSTAT
printf 'cpu  1 2 3 4\nbtime 1795000000\nprocesses 1000\n' >stat

# init, no KSM activity: not listed
proc 1 systemd '/sbin/init\0' "$(kstat 0 0 0 0 no no)" 0 4194560 10 20
# kernel threads: empty ksm_stat and cmdline; ksmd's CPU is 1500 + 2500 ticks
proc 2 kthreadd '' '' 0 2129984 0 0
proc 37 ksmd '' '' 2 2097216 1500 2500
# a libvirt guest that shares memory
proc 1000 qemu-system-x86 '/usr/bin/qemu-system-x86_64\0-name\0guest=web01,debug-threads=on\0-S\0-m\0size=4194304k\0' \
    "$(kstat 40000 100 30000 120000000 no yes)" 1 4194560 500 300
# a guest that opted out (<nosharepages/>); ",," is a comma in its name
proc 1001 qemu-system-x86 '/usr/bin/qemu-system-x86_64\0-name\0guest=db,,prod,debug-threads=on\0' \
    "$(kstat 0 0 0 0 no no)" 1 4194560 5 5
# a plain process with mergeable memory
proc 1002 redis-server '/usr/bin/redis-server\0*:6379\0' "$(kstat 2000 0 1500 5000000 yes yes)" 1 4194560 50 50
# a process without KSM activity: not listed
proc 1003 bash '-bash\0' "$(kstat 0 0 0 0 no no)" 1 4194560 1 1
# a malformed ksm_stat: skipped and counted
proc 1004 broken '/bin/broken\0' 'ksm_merging_pages lots' 1 4194560 1 1
# qemu with a plain -name and a command line without its final NUL
proc 1005 qemu-kvm '/usr/libexec/qemu-kvm\0-name\0web02' "$(kstat 10 0 8 20000 no yes)" 1 4194560 1 1
# qemu whose -name has no value; its comm is a vCPU thread's, argv[0] tells
proc 1006 'CPU 0/KVM' '/usr/bin/qemu-system-aarch64\0-name' "$(kstat 0 0 0 0 no yes)" 1 4194560 1 1
# a process that exited between readdir and open: a dangling entry
ln -s /nonexistent/1007 1007
# a kernel without ksm_stat: only ksm_merging_pages
proc 1008 java '/usr/bin/java\0' - 1 4194560 1 1
printf '777\n' >1008/ksm_merging_pages
# a comm with a slash and a command line with a byte that is not UTF-8
proc 1009 'we/ird' '/opt/we\377ird\0' "$(kstat 1 0 1 100 no no)" 1 4194560 1 1
# a Proxmox guest (program "kvm") that opted out: listed all the same
proc 1010 kvm '/usr/bin/kvm\0-id\0100\0-name\0vm100,debug-threads=on\0' "$(kstat 0 0 0 0 no no)" 1 4194560 1 1
# QEMU's tools are not guests: not listed without KSM activity
proc 1011 qemu-img '/usr/bin/qemu-img\0convert\0' "$(kstat 0 0 0 0 no no)" 1 4194560 1 1
# kernel 6.1 to 6.3: ksm_stat without ksm_merging_pages, which has a file
proc 1012 postgres '/usr/lib/postgresql/15/bin/postgres\0' 'ksm_rmap_items 40' 1 4194560 1 1
printf '33\n' >1012/ksm_merging_pages
# a second process of guest web01 (a restart overlapping the old one)
proc 1013 qemu-system-x86 '/usr/bin/qemu-system-x86_64\0-name\0guest=web01\0' "$(kstat 5 0 4 100 no yes)" 1 4194560 1 1
# entries that are not processes
mkdir -p self sys 0123
echo x >self/comm
echo x >sys/comm
echo x >0123/comm
