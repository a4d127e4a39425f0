/** The dashboard's one HTML page: a shell the script fills in from the JSON API. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cascade</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{display:flex;gap:1rem;align-items:center;background:#1b1f24;color:#fff;padding:.6rem 1rem}
header a{color:#cfd6df;text-decoration:none}header a:hover{color:#fff}header .who{margin-left:auto;color:#9aa4b1}
main{max-width:72rem;margin:1rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{background:#eef0f3;font-weight:600}code{font:12px ui-monospace,monospace}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#e4e7eb}
.Succeeded,.succeeded{background:#d2f4dc}.Failed,.failed,.dead{background:#ffd8d3}.Running,.running,.pending{background:#fff1c2}.skipped,.Cancelled,.waiting{background:#e4e7eb}
button{font:inherit;padding:.3rem .8rem;border:1px solid #8c959f;border-radius:6px;background:#fff;cursor:pointer}button:hover{background:#eef0f3}
input,select{font:inherit;padding:.3rem .5rem}.err{color:#cf222e}.muted{color:#6e7781}
.bar{height:6px;background:#e4e7eb;border-radius:3px;width:8rem}.bar span{display:block;height:6px;background:#2da44e;border-radius:3px}
img.preview,video.preview{max-width:20rem;max-height:12rem;display:block;margin-top:.3rem;border:1px solid #e4e7eb}
form.signin{max-width:28rem;margin:4rem auto;background:#fff;padding:1.5rem;border:1px solid #e4e7eb;border-radius:8px}
form.signin input{width:100%;box-sizing:border-box;margin:.5rem 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem;margin:1rem 0}
.card{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:.8rem 1rem}.card .n{font-size:1.6rem;font-weight:600}
</style></head>
<body><header><strong>Cascade</strong>
<nav id="nav" hidden><a href="#/">Taskgroups</a> · <a href="#/dead">Dead letters</a> · <a href="#/configurations">Configurations</a> · <a href="#/assets">Assets</a> · <a href="#/storage">Storage</a> · <a href="#/system">System</a> · <a href="/docs">API docs</a></nav>
<span class="who" id="who"></span><button id="signout" hidden>Sign out</button></header>
<main id="main"></main>
<script src="/dashboard.js" defer></script></body></html>`;
