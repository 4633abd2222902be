# Makes table.md from the faults.json of each scenario folder and short-scenarios-times.txt: python3 table.py DIR
import json, sys, os, re
root = sys.argv[1]
times = {}
for line in open(os.path.join(root, 'times.txt')):
    m = re.match(r'(\S+) rc=(\d+) (\d+) s load (\S+) (\S+) (\S+)', line)
    if m: times[m.group(1)] = (int(m.group(2)), int(m.group(3)), m.group(4))
order = ['kill-gpu','kill-coordinator','kill-frontend','pause-short','pause-long','leave','drain','overload','cancel','partition','partition-oldest-with-two']
skip = {'requests','failed_share'}
def fmt(v):
    if abs(v) >= 100: return '%.0f' % v
    if abs(v) >= 10: return '%.1f' % v
    return '%.3g' % v
print('| scenario | wall time (3 runs) | requests per run | outcomes (3 runs) | failed share per run | figures per run (run 1 / 2 / 3) | promises kept | targets |')
print('|---|---|---|---|---|---|---|---|')
for s in order:
    p = os.path.join(root, s, 'faults.json')
    if not os.path.exists(p): continue
    d = json.load(open(p))
    runs = d['run']
    outs = {}
    for r in runs:
        for k, v in r['outcomes'].items(): outs[k] = outs.get(k, 0) + v
    req = ' / '.join(str(sum(r['outcomes'].values())) for r in runs)
    fs = ' / '.join('%.3f' % r['figures'].get('failed_share', 0) for r in runs)
    keys = []
    for r in runs:
        for k in r['figures']:
            if k not in skip and k not in keys: keys.append(k)
    figs = '; '.join(k.replace('_', ' ') + ' ' + ' / '.join(fmt(r['figures'][k]) if k in r['figures'] else '-' for r in runs) for k in keys)
    kept = sum(1 for pr in d['promises'] if pr['kept_in_runs'] == pr['of_runs'])
    prom = 'all %d kept in %d runs' % (len(d['promises']), len(runs)) if kept == len(d['promises']) else 'BROKEN: ' + '; '.join('%s (%d of %d runs)' % (pr['promise'], pr['kept_in_runs'], pr['of_runs']) for pr in d['promises'] if pr['kept_in_runs'] != pr['of_runs'])
    tg = '; '.join('%s: met in %d of %d' % (t.get('target', t.get('name', '?')), t.get('met_in_runs', 0), t.get('of_runs', len(runs))) for t in d['targets']) or '-'
    t = times.get(s)
    wall = '%.1f min' % (t[1] / 60) if t else '?'
    print('| `%s` | %s | %s | %s | %s | %s | %s | %s |' % (s, wall, req, ', '.join('%s %d' % kv for kv in sorted(outs.items())), fs, figs, prom, tg))
