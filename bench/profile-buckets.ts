// perf samples of the vxswitch daemons sorted into what the code is doing (bench/profile.ts).

export interface Sample {
  /** Share of all samples, in percent. */
  percent: number;
  /** Where the code lives: [kernel.kallsyms], vxswitch_native.node, node, libc.so.6, [JIT] tid N, ... */
  dso: string;
  symbol: string;
}

export interface Bucket {
  name: string;
  /** Fraction of all samples, 0..1. */
  share: number;
}

interface Rule {
  name: string;
  matches: (s: Sample) => boolean;
}

const KERNEL = "[kernel.kallsyms]";
const kernel = (re: RegExp) => (s: Sample): boolean => s.dso === KERNEL && re.test(s.symbol);

// First match wins; the order matters (the catch-alls come last).
const RULES: Rule[] = [
  {
    name: "copies between kernel and user space (TAP read/write, UDP send/recv)",
    matches: kernel(/^(_copy_(to|from)_iter|copy_page_(to|from)_iter|__check_object_size|check_heap_object|rep_movs_alternative|copy_user_\w+|skb_copy_datagram\w*|__skb_datagram_iter|simple_copy_to_iter|memcpy_orig|__memcpy)$/),
  },
  {
    name: "copies and checksums in vxswitch (TSO split, coalescing, memcpy)",
    matches: (s) =>
      (s.dso.includes("vxswitch_native") && /tso_split|parse_tcp|csum|copy|gro_(place|coalesce)|memcpy/.test(s.symbol)) || (s.dso.startsWith("libc") && /mem(move|cpy)/.test(s.symbol)),
  },
  { name: "the rest of vxswitch's C (batch calls, argument checks)", matches: (s) => s.dso.includes("vxswitch_native") },
  { name: "JavaScript and V8", matches: (s) => s.dso.startsWith("[JIT]") || s.dso === "node" || s.dso.startsWith("libnode") || s.dso.startsWith("libstdc++") },
  {
    name: "syscall entry and exit",
    matches: kernel(/^(entry_SYSCALL\w*|do_syscall_64|syscall_\w+|exit_to_user_mode\w*|__x64_sys_\w+|__sys_(sendmmsg|recvmmsg|sendmsg|recvmsg)|___sys_\w+|____sys_\w+|fdget\w*|__fget\w*|fput|ksys_(read|write)|vfs_(read|write))$/),
  },
  {
    name: "scheduling, sleeping and wakeups",
    matches: kernel(/^(finish_task_switch\S*|__?schedule\w*|schedule_hrtimeout\w*|_raw_spin_(un)?lock\w*|try_to_wake_up|__wake_up\w*|ep_\w+|do_epoll_\w+|__cond_resched|pick_next\w*|psi_\w+|update_\w+|dequeue_\w+|enqueue_\w+|select_task_rq\w*|futex\w*|hrtimer\w*|native_sched_clock|sched_clock\w*)$/),
  },
  { name: "kernel network stack (bridge, IP, UDP, TCP of the receiving container, veth, skb handling)", matches: (s) => s.dso === KERNEL },
  { name: "other (libc, vdso)", matches: () => true },
];

/** Shares of the samples per bucket, in RULES order (empty buckets included). */
export function bucketSamples(samples: readonly Sample[]): Bucket[] {
  const total = samples.reduce((sum, s) => sum + s.percent, 0);
  const sums = RULES.map(() => 0);
  for (const s of samples) sums[RULES.findIndex((r) => r.matches(s))]! += s.percent;
  return RULES.map((r, i) => ({ name: r.name, share: total === 0 ? 0 : sums[i]! / total }));
}
