"""The site's one stylesheet and one small script (inline in every page: nothing is fetched)."""

CSS = """
*{box-sizing:border-box}
body{font:13px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;padding:16px 20px;max-width:1440px;
     color:#1d1d1f}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:20px 0 6px}h3{font-size:14px;margin:14px 0 4px}
a{color:#0645ad}
.tabs{display:flex;gap:4px;flex-wrap:wrap;margin:10px 0}
.tabs button{border:1px solid #bbb;background:#f4f4f4;padding:4px 12px;cursor:pointer;border-radius:4px 4px 0 0}
.tabs button.active{background:#fff;border-bottom-color:#fff;font-weight:600}
.wrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;margin:4px 0 10px}
td,th{border:1px solid #d0d0d0;padding:3px 4px;text-align:right;vertical-align:top}
th{background:#eee;cursor:pointer;user-select:none;min-width:3.5em}
th.sorted-asc::after{content:' \\25B2'}th.sorted-desc::after{content:' \\25BC'}
td.name,th.name{text-align:left}
td.name{overflow-wrap:break-word;max-width:280px}
td.best{font-weight:700;background:#e3f4e1}
td.weak{color:#999}
tr.untrained td{color:#888}
.mark{font-size:11px;padding:0 4px;border-radius:3px;background:#fde8c8;color:#7a4a00;margin-left:4px}
.filter{margin:6px 0;padding:3px 6px;width:320px}
.notes{color:#444;max-width:1100px}
.kv td:first-child{text-align:left;font-weight:600}.kv td{text-align:left}
img.plot{max-width:100%;height:auto;border:1px solid #ddd}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f7f7;padding:6px}
"""

JS = """
(function(){
  function cellValue(td){
    var v=td.getAttribute('data-v'); if(v===null){v=td.textContent.trim();}
    var n=parseFloat(v); return (v===''||v==='-'||isNaN(n))?{num:false,s:v.toLowerCase()}:{num:true,n:n};
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
  var buttons=document.querySelectorAll('.tabs button');
  function show(id){
    document.querySelectorAll('section.protocol').forEach(function(s){s.hidden=(s.id!==id);});
    buttons.forEach(function(b){b.classList.toggle('active',b.getAttribute('data-tab')===id);});
  }
  buttons.forEach(function(b){b.addEventListener('click',function(){show(b.getAttribute('data-tab'));});});
  if(buttons.length){show(buttons[0].getAttribute('data-tab'));}
})();
"""
