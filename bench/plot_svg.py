"""Hand-written SVG line charts for docs/BENCHMARKS.md (no plotting package needed).

line_chart(path, title, xlabel, ylabel, series, logx=True, logy=False)
  series: list of (label, [(x, y), ...], style) with style a dict: color, dash (bool), marker ("square"
  or the default circle).
Missing points are simply absent; a series with no point is drawn in the legend only.

heatmaps(path, title, panels, row_labels, col_labels, row_title, col_title)
  panels: list of (panel title, grid) with grid[row][col] a fraction in [0, 1] or None (not run);
  cells coloured from red (0) through yellow to green (1), the percentage written in each.
"""
import math

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def _esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fmt_tick(v):
    if v >= 1024 and v % 1024 == 0:
        return f"{int(v // 1024)}K"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"
    if v >= 1:
        return f"{v:g}"
    return f"{v:.2g}"


def _nice_ticks(lo, hi, n=6):
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 12))
        v += step
    return ticks


def _log_ticks(lo, hi):
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo / 1.0001 <= v <= hi * 1.0001:
                ticks.append(v)
        e += 1
    return ticks


def line_chart(path, title, xlabel, ylabel, series, logx=True, logy=False, width=720, height=420):
    pts = [p for _, s, _ in series for p in s if p[1] is not None and p[1] > 0]
    W, H = width, height
    ml, mr, mt, mb = 70, 200, 40, 55
    pw, ph = W - ml - mr, H - mt - mb
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{ml + pw / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">{_esc(title)}</text>']
    if not pts:
        out.append(f'<text x="{ml + pw / 2}" y="{mt + ph / 2}" text-anchor="middle">no data</text></svg>')
        with open(path, "w") as f:
            f.write("\n".join(out))
        return
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    xlo, xhi = min(xs), max(xs)
    if xlo == xhi:
        xlo, xhi = (xlo / 2, xhi * 2) if logx else (xlo - 1, xhi + 1)
    if logy:
        ylo, yhi = min(ys) / 1.3, max(ys) * 1.3
    else:
        ylo, yhi = 0.0, max(ys) * 1.1
    fx = (lambda v: math.log2(v)) if logx else (lambda v: v)
    fy = (lambda v: math.log10(v)) if logy else (lambda v: v)

    def X(v):
        return ml + (fx(v) - fx(xlo)) / (fx(xhi) - fx(xlo)) * pw

    def Y(v):
        return mt + ph - (fy(v) - fy(ylo)) / (fy(yhi) - fy(ylo)) * ph

    # axes and grid
    xt = sorted(set(xs)) if logx else _nice_ticks(xlo, xhi)
    yt = _log_ticks(ylo, yhi) if logy else _nice_ticks(ylo, yhi)
    for v in xt:
        x = X(v)
        out.append(f'<line x1="{x:.1f}" y1="{mt}" x2="{x:.1f}" y2="{mt + ph}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{x:.1f}" y="{mt + ph + 16}" text-anchor="middle">{_fmt_tick(v)}</text>')
    for v in yt:
        if not (ylo <= v <= yhi):
            continue
        y = Y(v)
        out.append(f'<line x1="{ml}" y1="{y:.1f}" x2="{ml + pw}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{ml - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt_tick(v)}</text>')
    out.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{ml + pw / 2}" y="{H - 12}" text-anchor="middle">{_esc(xlabel)}</text>')
    out.append(f'<text transform="translate(16 {mt + ph / 2}) rotate(-90)" text-anchor="middle">{_esc(ylabel)}</text>')
    # series
    for i, (label, s, style) in enumerate(series):
        color = style.get("color", COLORS[i % len(COLORS)])
        dash = ' stroke-dasharray="6 4"' if style.get("dash") else ""
        good = [(x, y) for x, y in sorted(s) if y is not None and y > 0]
        if len(good) > 1:
            d = " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in good)
            out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for x, y in good:
            if style.get("marker") == "square":
                out.append(f'<rect x="{X(x) - 3.5:.1f}" y="{Y(y) - 3.5:.1f}" width="7" height="7" fill="{color}"/>')
            else:
                out.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3.5" fill="{color}"/>')
        ly = mt + 10 + i * 20
        out.append(f'<line x1="{ml + pw + 12}" y1="{ly}" x2="{ml + pw + 40}" y2="{ly}" stroke="{color}" '
                   f'stroke-width="2"{dash}/>')
        out.append(f'<text x="{ml + pw + 46}" y="{ly + 4}">{_esc(label)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def _heat_color(v):
    """Red (0) -> yellow (0.5) -> green (1)."""
    v = min(max(v, 0.0), 1.0)
    if v < 0.5:
        r, g, b = 215, int(48 + (200 - 48) * v * 2), 39
    else:
        r, g, b = int(215 - (215 - 26) * (v - 0.5) * 2), int(200 - (200 - 152) * (v - 0.5) * 2), int(39 + (80 - 39) * (v - 0.5) * 2)
    return f"rgb({r},{g},{b})"


def heatmaps(path, title, panels, row_labels, col_labels, row_title, col_title, cell=34, per_row=3):
    """Panels of equal grids side by side (per_row per line), one shared legend."""
    nr, nc = len(row_labels), len(col_labels)
    pw, ph = nc * cell, nr * cell
    ml, mt, gap_x, gap_y = 62, 50, 40, 70
    cols = min(per_row, len(panels))
    lines = (len(panels) + per_row - 1) // per_row
    W = ml + cols * pw + (cols - 1) * gap_x + 30
    H = mt + lines * ph + (lines - 1) * gap_y + 75
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">{_esc(title)}</text>']
    for k, (name, grid) in enumerate(panels):
        x0 = ml + (k % per_row) * (pw + gap_x)
        y0 = mt + (k // per_row) * (ph + gap_y)
        out.append(f'<text x="{x0 + pw / 2}" y="{y0 - 8}" text-anchor="middle" font-size="13" '
                   f'font-weight="bold">{_esc(name)}</text>')
        for r in range(nr):
            for c in range(nc):
                v = grid[r][c]
                x, y = x0 + c * cell, y0 + r * cell
                fill = "#eeeeee" if v is None else _heat_color(v)
                out.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" stroke="white"/>')
                label = "-" if v is None else f"{round(100 * v)}"
                out.append(f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle">{label}</text>')
        for c, lab in enumerate(col_labels):
            out.append(f'<text x="{x0 + c * cell + cell / 2}" y="{y0 + ph + 14}" text-anchor="middle">{_esc(lab)}</text>')
        out.append(f'<text x="{x0 + pw / 2}" y="{y0 + ph + 30}" text-anchor="middle">{_esc(col_title)}</text>')
        if k % per_row == 0:
            for r, lab in enumerate(row_labels):
                out.append(f'<text x="{x0 - 5}" y="{y0 + r * cell + cell / 2 + 4}" text-anchor="end">{_esc(lab)}</text>')
            out.append(f'<text transform="translate({x0 - 46} {y0 + ph / 2}) rotate(-90)" '
                       f'text-anchor="middle">{_esc(row_title)}</text>')
    ly = H - 22
    for i in range(11):
        out.append(f'<rect x="{ml + i * 24}" y="{ly - 10}" width="24" height="12" fill="{_heat_color(i / 10)}"/>')
    out.append(f'<text x="{ml - 5}" y="{ly}" text-anchor="end">0 %</text>')
    out.append(f'<text x="{ml + 11 * 24 + 5}" y="{ly}">100 % correct (grey: not run)</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
