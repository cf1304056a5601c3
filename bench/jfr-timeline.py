#!/usr/bin/env python3
"""Where a processor step's wall time goes, from a JFR recording of the processor.

Record with `jcmd <processor pid> JFR.start name=p settings=profile filename=F.jfr` while
bench/run-scale runs (stop it with `JFR.stop name=p` before the run ends), then

    jfr print --json --events jdk.ExecutionSample F.jfr > F.json
    bench/jfr-timeline.py F.json [BIN_SECONDS]

Samples are grouped into bursts of activity (a step: the processor idles while the agent writes
the next checkpoint) and each sample is put in one phase by the first of its frames that names
one: the factor solver's sweeps, adding frames into ΔW, the backtest, the monitoring fits, the
run tracker, record decoding. Per step it prints the heavy phase (sweeps and adds, spread over the
stream threads), the gap from its last sample to the run tracker's first, and when the tracker's
judgement ended; with BIN_SECONDS, also each bin's samples per thread and phase.
"""
import collections
import json
import sys

PHASES = [('sweep', ('CpuRank1Backend.gram', 'RowBlockKernel', 'CpuRank1Backend.leading')),
          ('apply', ('DeltaSumStore.apply',)),
          ('judge', ('Backtest', 'ModuleChooser', 'FitCalculator.judge')),
          ('monitor', ('Linearity', 'leaveLastOut', 'FitCalculator.summarize')),
          ('tracker', ('RunTracker',)),
          ('decode', ('ChunkDecoder', 'DeltaFrame', 'Serde', 'parseFrom', 'mergeFrom')),
          ('kafka', ('org.apache.kafka',)),
          ('rocksdb', ('rocksdb',))]
GAP = 1.5  # seconds without a sample that end a burst


def seconds(stamp):
    clock = stamp.rstrip('Z').split('T')[1]
    h, m, s = clock.split(':')
    return int(h) * 3600 + int(m) * 60 + float(s[:12])


def samples(path):
    out = []
    for e in json.load(open(path))['recording']['events']:
        v = e['values']
        frames = (v.get('stackTrace') or {}).get('frames', [])
        stack = ' '.join(f['method']['type']['name'].replace('/', '.') + '.' + f['method']['name'] for f in frames if 'method' in f)
        phase = next((p for p, keys in PHASES if any(k in stack for k in keys)), 'other')
        thread = (v.get('sampledThread') or {}).get('javaName') or '?'
        if 'StreamThread' in thread and 'producer' not in thread:
            thread = 'T' + thread.split('StreamThread-')[-1]
        elif 'ForkJoin' in thread:
            thread = 'pool'
        out.append((seconds(v['startTime']), thread[:14], phase))
    return sorted(out)


def bursts(rows):
    out, current = [], [rows[0]]
    for r in rows[1:]:
        if r[0] - current[-1][0] > GAP:
            out.append(current)
            current = [r]
        else:
            current.append(r)
    out.append(current)
    return [b for b in out if len(b) >= 20]


def main():
    rows = samples(sys.argv[1])
    width = float(sys.argv[2]) if len(sys.argv) > 2 else None
    print('step burst: heavy phase (sweeps, adds) | gap to the tracker | tracker done, after the last sweep | samples by phase')
    for b in bursts(rows):
        heavy = [t for t, _, p in b if p in ('sweep', 'apply')]
        if not heavy:
            continue
        last = max(heavy)
        after = [t for t, _, p in b if t > last and p in ('judge', 'tracker', 'decode', 'monitor')]
        judged = [t for t, _, p in b if p in ('judge', 'monitor')]
        counts = collections.Counter(p for _, _, p in b)
        print(f"{len(b):4d} samples: heavy {last - min(heavy):5.2f} s | gap {min(after) - last if after else float('nan'):5.2f} s |"
              f" tracker done {max(judged) - last if judged else float('nan'):5.2f} s | "
              + ', '.join(f'{k} {v}' for k, v in counts.most_common()))
        if width:
            start = b[0][0]
            bins = collections.defaultdict(collections.Counter)
            for t, thread, p in b:
                bins[int((t - start) / width)][f'{thread}:{p}'] += 1
            for i in range(int((b[-1][0] - start) / width) + 1):
                print(f'    {i * width:5.2f} ' + ' '.join(f'{k}x{v}' for k, v in sorted(bins[i].items())))


if __name__ == '__main__':
    main()
