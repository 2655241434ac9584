// Hostile traffic for the lab: random and mutated VXLAN/GRE packets and raw frames, MAC floods and broadcast storms, sent from a namespace by python3.
import { nsExec } from "./netns.js";

/**
 * One python3 program for every kind; argv: MODE COUNT SEED PPS then the mode's arguments.
 *   udp SRC DST PORT     random and mutated VXLAN (VNI 42 mostly) to DST:PORT from SRC
 *   gre SRC DST          random and mutated GRE (TEB, key 42 mostly) on a raw socket
 *   tap IFACE            random and mutated Ethernet frames on a packet socket
 *   macflood IFACE       distinct source MACs (02:ff:..), unknown unicast destination
 *   storm IFACE          broadcast frames from one source MAC
 * It prints one JSON line: {"sent": N, "refused": M} (refused: the kernel said no at send time;
 * those never reached the switch). PPS 0 = as fast as it goes; otherwise paced per 256 packets.
 */
const FUZZ_PY = String.raw`
import json, random, socket, struct, sys, time
mode, count, seed, pps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
args = sys.argv[5:]
rnd = random.Random(seed)
ETHERTYPES = [b"\x08\x00", b"\x08\x06", b"\x86\xdd", b"\x81\x00", b"\x88\xa8", b"\x88\xb5"]

def frame():
    dst = bytes([rnd.choice([0xff, 0x02, 0x33, 0x01, 0x52])]) + rnd.randbytes(5)
    return dst + b"\x02" + rnd.randbytes(5) + rnd.choice(ETHERTYPES) + rnd.randbytes(rnd.randint(0, 200))

def mutate(p):
    b = bytearray(p)
    for _ in range(rnd.randint(1, 4)):
        r = rnd.random()
        if r < 0.5 and b:
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        elif r < 0.7:
            b = b[:rnd.randrange(len(b) + 1)]
        elif r < 0.9:
            b += rnd.randbytes(rnd.randint(1, 64))
        else:
            b = bytearray(rnd.randbytes(rnd.randint(0, 200)))
    return bytes(b)

def vxlan():
    vni = 42 if rnd.random() < 0.8 else rnd.randrange(1 << 24)
    p = bytes([0x08, 0, 0, 0]) + vni.to_bytes(3, "big") + b"\0" + frame()
    return p if rnd.random() < 0.3 else mutate(p)

def gre():
    key = 42 if rnd.random() < 0.8 else rnd.randrange(1 << 32)
    p = struct.pack("!HHI", 0x2000, 0x6558, key) + frame()
    return p if rnd.random() < 0.3 else mutate(p)

def raw():
    p = frame()
    return p if rnd.random() < 0.3 else mutate(p)

if mode == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args[0], 0))
    to = (args[1], int(args[2]))
    make, send = vxlan, lambda p: s.sendto(p, to)
elif mode == "gre":
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
    s.bind((args[0], 0))
    to = (args[1], 0)
    make, send = gre, lambda p: s.sendto(p, to)
else:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((args[0], 0))
    send = s.send
    if mode == "tap":
        make = raw
    elif mode == "macflood":
        seq = iter(range(count))
        make = lambda: b"\x02\xee\0\0\0\x01" + b"\x02\xff" + next(seq).to_bytes(4, "big") + b"\x88\xb5" + bytes(46)
    else:
        make = lambda: b"\xff" * 6 + b"\x02\xdd\0\0\0\x01" + b"\x88\xb5" + bytes(46)
sent = refused = 0
start = time.monotonic()
for i in range(count):
    try:
        send(make())
        sent += 1
    except OSError:
        refused += 1
    if pps > 0 and i % 256 == 255:
        ahead = (i + 1) / pps - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
print(json.dumps({"sent": sent, "refused": refused, "seconds": time.monotonic() - start}))
`;

export type FuzzMode = "udp" | "gre" | "tap" | "macflood" | "storm";

export interface FuzzOptions {
  mode: FuzzMode;
  count: number;
  seed?: number;
  /** Packets per second (0 = unpaced). */
  pps?: number;
  /** udp/gre: underlay source and destination; tap/macflood/storm: the interface to send on. */
  src?: string;
  dst?: string;
  port?: number;
  iface?: string;
  timeoutMs?: number;
}

export interface FuzzResult {
  sent: number;
  refused: number;
  seconds: number;
}

/** Runs the fuzzer in `ns` and returns what it sent. */
export async function runFuzzer(ns: string, o: FuzzOptions): Promise<FuzzResult> {
  const modeArgs = o.mode === "udp" ? [o.src!, o.dst!, String(o.port ?? 4789)]
    : o.mode === "gre" ? [o.src!, o.dst!]
      : [o.iface!];
  const out = await nsExec(ns, ["python3", "-c", FUZZ_PY, o.mode, String(o.count), String(o.seed ?? 1), String(o.pps ?? 0), ...modeArgs],
    { timeoutMs: o.timeoutMs ?? 600_000 });
  return JSON.parse(out.trim().split("\n").pop()!) as FuzzResult;
}

/** Every drop reason summed. */
export function dropTotal(drops: Record<string, number>): number {
  return Object.values(drops).reduce((a, b) => a + b, 0);
}

/** Frames a direction either forwarded or dropped with a reason: what it received, if every packet is accounted for. */
export function accounted(direction: { frames: number; drops: Record<string, number> }): number {
  return direction.frames + dropTotal(direction.drops);
}
