/// `dashboard.css`.
enum DashboardStyle {
    static let sheet = #"""
    :root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f7f9; }
    body { margin: 0; }
    header { display: flex; align-items: baseline; gap: 1rem; padding: .6rem 1rem; background: #1b1f24; color: #fff; }
    h1 { font-size: 1.2rem; margin: 0; }
    .live { font-size: .8rem; }
    .live.on::before { content: "● "; color: #3fb950; }
    .live.off::before { content: "● "; color: #d29922; }
    #token-form { padding: .6rem 1rem; background: #fff3cd; }
    #stats { display: flex; gap: 1rem; padding: .6rem 1rem; flex-wrap: wrap; }
    .stat { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: .4rem .8rem; min-width: 6rem; }
    .stat .label { display: block; font-size: .75rem; color: #57606a; }
    .stat .value { font-size: 1.4rem; font-variant-numeric: tabular-nums; }
    main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1rem; padding: 0 1rem 1rem; }
    #list { overflow-x: auto; }
    table { width: 100%; border-collapse: collapse; background: #fff; font-size: .85rem; }
    th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #eaeef2; white-space: nowrap; }
    td.command { font-family: ui-monospace, monospace; max-width: 28rem; overflow: hidden; text-overflow: ellipsis; }
    tbody tr { cursor: pointer; }
    tbody tr:hover, tbody tr.selected { background: #ddf4ff; }
    .state-succeeded { color: #1a7f37; } .state-failed, .state-lost, .state-timed_out { color: #cf222e; }
    .state-running { color: #0969da; } .state-queued, .state-cancelled { color: #57606a; }
    #job { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem 1rem; }
    #job h2 { font-size: 1rem; font-family: ui-monospace, monospace; margin: 0 0 .4rem; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; font-size: .85rem; margin: 0; }
    dt { color: #57606a; } dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
    pre { background: #0d1117; color: #e6edf3; padding: .5rem; max-height: 32rem; overflow: auto; font-size: .8rem; white-space: pre-wrap; }
    #charts { display: flex; gap: 1rem; padding: 0 1rem .6rem; flex-wrap: wrap; }
    #charts figure { margin: 0; background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: .3rem .6rem; flex: 1 1 20rem; }
    #charts figcaption { font-size: .75rem; color: #57606a; }
    #charts svg { width: 100%; height: 5rem; }
    .bar { fill: #0969da; } .bar.bad { fill: #cf222e; } .bar.wait { fill: #8250df; }
    .policy { margin: 0 1rem .6rem; font-size: .8rem; color: #57606a; }
    #extras { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; padding: 0 1rem 1rem; }
    #extras > section { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: .4rem .8rem; }
    #extras h2 { font-size: .95rem; margin: .2rem 0 .4rem; }
    #extras ul { list-style: none; padding: 0; margin: 0; font-size: .85rem; }
    #extras li { cursor: pointer; padding: .15rem 0; font-family: ui-monospace, monospace; }
    .age { font-weight: normal; font-size: .75rem; color: #9a6700; }
    .host-up { color: #1a7f37; } .host-down { color: #cf222e; }
    #filters { display: flex; gap: .4rem; margin: .4rem 0; flex-wrap: wrap; }
    """#
}
