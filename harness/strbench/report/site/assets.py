"""The site's one stylesheet and one small script (inline in every page: nothing is fetched).

Tables keep their leading columns in view (``position: sticky``): on the leaderboard the rank, the
model and the headline average (classes ``s1``, ``s2``, ``s3``), on the speed table the model; the
other columns scroll horizontally inside their box, so the headline is readable at any width."""

CSS = """
*{box-sizing:border-box}
:root{--w1:2.3em;--w2:15.5em}
@media (max-width:700px){:root{--w2:9.6em}body{padding:10px 8px!important}h1{font-size:18px!important}}
body{font:13px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;padding:16px 20px;max-width:1440px;
     color:#1d1d1f}
h1{font-size:21px;margin:0 0 6px;overflow-wrap:anywhere}h2{font-size:16px;margin:22px 0 6px}h3{font-size:14px;margin:14px 0 4px}
a{color:#0645ad}
code{font-size:12px;overflow-wrap:anywhere}
.lead{margin:4px 0 8px;color:#333;max-width:1100px}
.pnote{margin:2px 0 6px;color:#555;font-size:12px}
.controls{display:flex;flex-wrap:wrap;align-items:flex-end;gap:6px 14px;margin:8px 0 6px}
.tabs{display:flex;gap:4px;flex-wrap:wrap}
.tabs button{border:1px solid #bbb;background:#f4f4f4;padding:5px 12px;cursor:pointer;border-radius:14px;font:inherit}
.tabs button.active{background:#1d1d1f;color:#fff;border-color:#1d1d1f;font-weight:600}
.tabs .n{font-size:11px;opacity:.75;margin-left:6px}
.filter{padding:4px 8px;width:16em;max-width:100%;font:inherit}
.chk{white-space:nowrap}.muted{color:#666}
.wrap{max-width:100%;overflow-x:auto;border:1px solid #d0d0d0;border-radius:4px;margin:4px 0 10px}
table{border-collapse:separate;border-spacing:0}
td,th{border-bottom:1px solid #e4e4e4;padding:4px 6px;text-align:right;vertical-align:top;white-space:nowrap;
      background:#fff}
th{background:#f2f2f2;cursor:pointer;user-select:none;vertical-align:bottom;font-weight:600}
th .sub{display:block;font-weight:400;font-size:11px;color:#666;white-space:normal}
th.sorted-asc::after{content:' \\25B2';font-size:9px}th.sorted-desc::after{content:' \\25BC';font-size:9px}
td.name,th.name{text-align:left}
.board .s1{position:sticky;left:0;z-index:2;width:var(--w1);min-width:var(--w1);max-width:var(--w1);color:#555}
.board .s2,.speed .s2{position:sticky;left:var(--w1);z-index:2;width:var(--w2);min-width:var(--w2);
                      max-width:var(--w2);white-space:normal}
.speed .s2{left:0;box-shadow:inset -2px 0 0 #c8c8c8}
.board .s3{position:sticky;left:calc(var(--w1) + var(--w2));z-index:2;box-shadow:inset -2px 0 0 #c8c8c8}
th.s1,th.s2,th.s3{z-index:3;background:#f2f2f2}
a.model{font-weight:600;text-decoration:none}
.w{display:block;font-size:11px;color:#666;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.w a{color:#555}
.rt{font-size:11px;color:#333;background:#e8ecf6;padding:0 4px;border-radius:3px;margin-left:3px;white-space:nowrap}
td.acc .v{display:block;font-variant-numeric:tabular-nums}
td.acc .ci{display:block;font-size:10.5px;color:#777;line-height:1.1}
.s3 .v{font-weight:700;font-size:14px}
td.best{background:#e2f3df}td.best .v{font-weight:700}
td.limited{background:repeating-linear-gradient(135deg,#f4f4f4 0 6px,#ebebeb 6px 12px);color:#9a9a9a}
td.limited .ci{color:#b0b0b0}
td.td{white-space:normal;min-width:14em;max-width:22em;font-size:11.5px;color:#333;line-height:1.3}
td.dev{font-size:12px}
.gap{display:block;font-size:11px}.gap.neg{color:#a33}.gap.pos{color:#276b2d}
tr.untrained td{color:#888}
body:has(#trained-only:checked) tr.untrained{display:none}
.mark{font-size:10.5px;padding:0 4px;border-radius:3px;background:#fde8c8;color:#7a4a00;margin-left:4px;
      white-space:nowrap;font-weight:600}
.notes{color:#444;max-width:1100px;padding-left:1.2em}
details{margin:10px 0}summary{cursor:pointer;font-weight:600}
figure{margin:6px 0 12px}figcaption{font-size:12px;color:#555}
img.plot{max-width:min(100%,900px);height:auto;border:1px solid #ddd}
pre.cmd span{white-space:nowrap}
pre{white-space:pre-wrap;overflow-wrap:break-word;overflow-x:auto;background:#f5f5f5;padding:8px;border-radius:4px;font-size:12px}
.sub{color:#444;margin:0 0 8px}
.warn{background:#fff4e0;border-left:4px solid #e69a00;padding:6px 10px;margin:6px 0}
.info{background:#eef4ff;border-left:4px solid #4a78c2;padding:6px 10px;margin:6px 0}
.headline{display:flex;flex-wrap:wrap;gap:4px 18px;align-items:center;border:1px solid #d0d0d0;border-radius:6px;
          padding:8px 14px;margin:10px 0}
.headline p{margin:3px 0;max-width:900px}
.big{font-size:34px;font-weight:700;font-variant-numeric:tabular-nums}.big small{font-size:16px;font-weight:600}.big.dim{color:#999}
table.kv{margin:4px 0 10px}
table.kv th{text-align:left;background:#f7f7f7;cursor:default;vertical-align:top;white-space:nowrap;font-weight:600}
table.kv td{text-align:left;white-space:normal;overflow-wrap:anywhere}
ul.kv,ol.kv{margin:0;padding-left:1.1em}ul.kv{list-style:none;padding-left:0}ul.kv ul.kv{padding-left:1.1em}
td.warnbg{color:#7a4a00}
figure.ex{display:inline-block;margin:4px}
"""

JS = """
(function(){
  function cellValue(td){
    var v=td.getAttribute('data-v'); if(v===null){v=td.textContent.trim();}
    var n=parseFloat(v); return (v===''||v==='-'||v==='\\u2014'||isNaN(n))?{num:false,s:v.toLowerCase()}:{num:true,n:n};
  }
  function compare(a,b){
    if(a.num&&b.num){return a.n-b.n;} if(a.num){return -1;} if(b.num){return 1;}
    return a.s<b.s?-1:(a.s>b.s?1:0);
  }
  document.querySelectorAll('table.sortable').forEach(function(table){
    table.querySelectorAll('thead th').forEach(function(th,index){
      th.addEventListener('click',function(){
        var asc=!th.classList.contains('sorted-asc');
        table.querySelectorAll('thead th').forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
        th.classList.add(asc?'sorted-asc':'sorted-desc');
        var body=table.tBodies[0]; var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(r1,r2){
          var a=cellValue(r1.cells[index]),b=cellValue(r2.cells[index]);
          if(!a.num&&b.num){return 1;} if(a.num&&!b.num){return -1;}
          return asc?compare(a,b):compare(b,a);
        });
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
  });
  document.querySelectorAll('input.filter').forEach(function(input){
    input.addEventListener('input',function(){
      var q=input.value.toLowerCase();
      document.querySelectorAll(input.getAttribute('data-target')).forEach(function(table){
        Array.prototype.forEach.call(table.tBodies[0].rows,function(r){
          r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none';
        });
      });
    });
  });
  var device=document.getElementById('device-filter');
  if(device){device.addEventListener('change',function(){
    document.querySelectorAll('#speed tbody tr').forEach(function(r){
      r.hidden=!(device.value===''||r.getAttribute('data-device')===device.value);});
  });}
  var buttons=document.querySelectorAll('.tabs button');
  function show(id){
    document.querySelectorAll('section.protocol').forEach(function(s){s.hidden=(s.id!==id);});
    buttons.forEach(function(b){b.classList.toggle('active',b.getAttribute('data-tab')===id);});
  }
  buttons.forEach(function(b){b.addEventListener('click',function(){show(b.getAttribute('data-tab'));});});
  var first=document.querySelector('.tabs button.active')||buttons[0];
  if(first){show(first.getAttribute('data-tab'));}
})();
"""
