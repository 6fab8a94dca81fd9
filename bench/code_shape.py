"""Largest functions, highest complexity and module sizes (radon)."""
import pathlib
import sys

from radon.complexity import cc_visit
from radon.visitors import Class

rows=[]; mods=[]
for root in sys.argv[1:]:
    for p in sorted(pathlib.Path(root).rglob('*.py')):
        src=p.read_text(encoding='utf-8'); n=src.count('\n')
        mods.append((n,str(p)))
        for b in cc_visit(src):
            items=[b]+(list(b.methods) if isinstance(b,Class) else [])
            for f in items:
                if isinstance(f,Class): continue
                rows.append((f.complexity, f.endline-f.lineno+1, f"{p}:{f.lineno} {f.classname+'.' if f.classname else ''}{f.name}"))
print("top complexity:"); [print(" ",r) for r in sorted(rows,reverse=True)[:12]]
print("top length:"); [print(" ",r) for r in sorted(rows,key=lambda r:r[1],reverse=True)[:12]]
print("modules >600:", [m for m in sorted(mods,reverse=True) if m[0]>600])
print("functions cc>15:", sum(1 for r in rows if r[0]>15), " >80 lines:", sum(1 for r in rows if r[1]>80), " total functions:", len(rows), " modules:", len(mods))
