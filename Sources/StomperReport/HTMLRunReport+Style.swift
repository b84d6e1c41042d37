extension HTMLRunReport {
    /// The page's only style sheet, inline. Colour classes set both `fill` (SVG) and
    /// `background` (the legend's swatches, the status badges), so one name means one colour.
    static let css = """
        :root{--fg:#1d232b;--muted:#5f6b78;--line:#dde2e8;--bg:#fff;--code:#f3f5f7}
        *{box-sizing:border-box}
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1320px;padding:16px 24px 48px}
        h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
        h3{font-size:15px;margin:18px 0 6px}h4{font-size:13px;margin:12px 0 4px;color:var(--muted)}
        code{font:12.5px/1.4 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;background:var(--code);padding:0 3px;border-radius:3px;overflow-wrap:anywhere}
        .meta,.note,footer{color:var(--muted)}.note{font-style:italic}footer{margin-top:32px;font-size:12px}
        .cards{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0 12px}
        .card{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:96px;border-left-width:5px}
        .card b{display:block;font-size:20px}.card span{color:var(--muted);font-size:12px}
        .card.st-fixed,.card.st-would_fix{border-left-color:#2e9e4f}.card.st-partially_fixed{border-left-color:#8fbf3a}
        .card.st-failed{border-left-color:#d64545}.card.st-needs_agent{border-left-color:#d08a1e}.card.st-skipped{border-left-color:#9aa3ad}
        .card[class*=st-]{background:none}
        table{border-collapse:collapse;margin:6px 0;font-size:13px}
        th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}th{color:var(--muted);font-weight:600}
        td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        table.files{width:100%}td.path{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
        a{color:#2a5db0;text-decoration:none}a:hover{text-decoration:underline}
        .st{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;color:#fff;white-space:nowrap}
        .tag{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;background:#fdf0dc;color:#8a5a10}
        .st-fixed,.st-would_fix{fill:#2e9e4f;background:#2e9e4f}.st-partially_fixed{fill:#8fbf3a;background:#8fbf3a}
        .st-failed{fill:#d64545;background:#d64545}.st-needs_agent{fill:#d08a1e;background:#d08a1e}
        .st-skipped{fill:#9aa3ad;background:#9aa3ad}.st-planned,.st-running,.st-verified{fill:#5b7fd6;background:#5b7fd6}
        .oc{font-size:12px;border-radius:3px;padding:0 5px;background:#eef1f4}
        .oc-fixed{background:#dcf1e2}.oc-improved{background:#ecf4d8}.oc-not_fixed,.oc-rejected{background:#fbe6d2}.oc-agent_failed{background:#f7d9d9}
        details{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:0 10px}
        details[open]{padding-bottom:8px}summary{cursor:pointer;padding:6px 0}details .body{margin-left:4px}
        ul.left{margin:4px 0;padding-left:20px}
        pre.diff{background:#f7f8fa;border:1px solid var(--line);border-radius:4px;padding:8px;overflow:auto;font-size:12px;line-height:1.35;max-height:480px}
        pre.diff .a{color:#176c32;background:#e6f6ea;display:inline-block;min-width:100%}
        pre.diff .d{color:#a32929;background:#fbeaea;display:inline-block;min-width:100%}pre.diff .h{color:#6b4fb3}
        svg{display:block;max-width:100%}svg.bar{margin:4px 0 8px}svg.timeline,svg.inflight{border:1px solid var(--line);border-radius:4px;background:#fcfcfd}
        .label{font:10px ui-monospace,Menlo,Consolas,monospace;fill:#39424d;text-anchor:end}
        .tick{font:10px system-ui,sans-serif;fill:var(--muted);text-anchor:middle}.tick.start{text-anchor:start}
        .grid{stroke:#e8ebef;stroke-width:1}.flight{fill:none;stroke:#2a5db0;stroke-width:1.5}
        .track{fill:#e8ebef}svg.rate{display:inline-block;vertical-align:middle;margin-left:6px}
        .legend{font-size:12px;color:var(--muted)}.sw{display:inline-block;width:12px;height:10px;margin:0 4px 0 10px;vertical-align:-1px;border-radius:2px}
        .ph-waiting{fill:#e6e9ed;background:#e6e9ed}.ph-preparing{fill:#b6c0cb;background:#b6c0cb}.ph-verify{fill:#8c7bd6;background:#8c7bd6}
        .ph-agent.r-neutral{fill:#5d8fd1;background:#5d8fd1}.ph-agent.r-success{fill:#2e9e4f;background:#2e9e4f}
        .ph-agent.r-partial{fill:#8fbf3a;background:#8fbf3a}.ph-agent.r-refused{fill:#e08a2e;background:#e08a2e}
        .ph-agent.r-failed,.ph-land.r-failed{fill:#d64545;background:#d64545}
        .ph-land.r-success,.ph-land.r-neutral,.ph-land.r-partial,.ph-land.r-refused{fill:#17603a;background:#17603a}
        @media (prefers-color-scheme:dark){:root{--fg:#e3e7ec;--muted:#9aa6b2;--line:#343b44;--bg:#15191e;--code:#232a31}
        pre.diff,svg.timeline,svg.inflight{background:#1b2026}pre.diff .a{background:#173522;color:#8fe0a6}pre.diff .d{background:#3d1c1c;color:#f2a0a0}
        .label{fill:#c9d1da}.grid{stroke:#2a3038}.oc{background:#2a3038}a{color:#7fb0ff}}
        """
}
