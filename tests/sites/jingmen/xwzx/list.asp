<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<meta http-equiv="X-UA-Compatible" content="IE=EmulateIE7">
<title>新闻中心--荆门市人民政府门户网站</title>
<meta name="keywords" content="荆门,荆门市人民政府,政务公开,荆门新闻">
<style type="text/css">
<!--
body{margin:0px;font-size:12px;color:#000000;background-color:#FFFFFF;}
td{font-size:12px;line-height:20px;}
a:link{color:#000000;text-decoration:none;}
a:visited{color:#000000;text-decoration:none;}
a:hover{color:#FF0000;text-decoration:underline;}
.white12{font-size:12px;color:#FFFFFF;}
.white12 a:link,.white12 a:visited{color:#FFFFFF;}
.navtd{font-size:14px;font-weight:bold;color:#FFFFFF;}
.navtd a:link,.navtd a:visited{color:#FFFFFF;}
.title_red{font-size:22px;color:#CC0000;font-family:"黑体";line-height:36px;}
.info12{font-size:12px;color:#666666;}
.content14{font-size:14px;line-height:26px;color:#000000;}
.lanmu{font-size:14px;font-weight:bold;color:#1A5294;padding-left:22px;}
.list14{font-size:14px;line-height:28px;}
.date12{font-size:12px;color:#999999;}
.bk1{border:1px solid #A8C7E6;}
.footer12{font-size:12px;color:#333333;line-height:22px;}
-->
</style>
<script language="javascript" src="/js/common.js"></script>
</head>
<body leftmargin="0" topmargin="0" marginwidth="0" marginheight="0">
<table width="980" border="0" align="center" cellpadding="0" cellspacing="0">
  <tr>
    <td height="28" bgcolor="#1A5294" class="white12">&nbsp;&nbsp;今天是：2017年12月08日 星期五&nbsp;&nbsp;&nbsp;&nbsp;<a href="/">网站首页</a> | <a href="javascript:window.external.AddFavorite('http://www.jingmen.gov.cn','荆门市人民政府门户网站')">加入收藏</a> | <a href="/contact.html">联系我们</a></td>
  </tr>
  <tr>
    <td height="120" background="/images/top_bg.gif" valign="middle">
      <table width="100%" border="0" cellspacing="0" cellpadding="0"><tr>
        <td width="520"><img src="/images/logo.gif" width="500" height="90" alt="荆门市人民政府门户网站"></td>
        <td align="right" valign="bottom">
          <form name="search" method="post" action="/search/search.asp" style="margin:0">
            <input type="text" name="keyword" size="20" value="请输入关键字" onfocus="this.value=''">
            <select name="sort"><option value="title">标题</option><option value="content">内容</option></select>
            <input type="image" src="/images/search_btn.gif" align="absmiddle">
          </form>
        </td>
      </tr></table>
    </td>
  </tr>
  <tr>
    <td height="36" background="/images/nav_bg.gif">
      <table width="100%" border="0" cellspacing="0" cellpadding="0"><tr align="center">
        <td class="navtd"><a href="/">首&nbsp;&nbsp;页</a></td><td width="2"><img src="/images/nav_line.gif" width="2" height="36"></td>
        <td class="navtd"><a href="/about.html">荆门概况</a></td><td width="2"><img src="/images/nav_line.gif" width="2" height="36"></td>
        <td class="navtd"><a href="/xwzx/list.asp">新闻中心</a></td><td width="2"><img src="/images/nav_line.gif" width="2" height="36"></td>
        <td class="navtd"><a href="/zwgk/index.htm">政务公开</a></td><td width="2"><img src="/images/nav_line.gif" width="2" height="36"></td>
        <td class="navtd"><a href="/zwgk/index.htm#bsfw">网上办事</a></td><td width="2"><img src="/images/nav_line.gif" width="2" height="36"></td>
        <td class="navtd"><a href="/contact.html#zmhd">政民互动</a></td><td width="2"><img src="/images/nav_line.gif" width="2" height="36"></td>
        <td class="navtd"><a href="/about.html#tzjm">投资荆门</a></td><td width="2"><img src="/images/nav_line.gif" width="2" height="36"></td>
        <td class="navtd"><a href="/about.html#lyjm">旅游荆门</a></td>
      </tr></table>
    </td>
  </tr>
</table>
<table width="980" border="0" align="center" cellpadding="0" cellspacing="0" bgcolor="#FFFFFF">
  <tr>
    <td width="235" valign="top" bgcolor="#F1F6FB">
      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="bk1">
        <tr><td height="30" background="/images/lanmu_bg.gif" class="lanmu">最新信息</td></tr>
          <tr><td height="24">&nbsp;<img src="/images/dot.gif" width="3" height="3">&nbsp;<a href="/xwzx/2017-12/01/content_102.htm" target="_blank" title="市政府召开第十五次常务会议">市政府召开第十五次常务会议</a> <span class="date12">(2017-12-01)</span></td></tr>
          <tr><td height="24">&nbsp;<img src="/images/dot.gif" width="3" height="3">&nbsp;<a href="/xwzx/2017-11/28/content_95.htm" target="_blank" title="市人民政府关于印发荆门市新型城镇化发展规划（2017—2020年）的通知">市人民政府关于印发荆门市新</a> <span class="date12">(2017-11-28)</span></td></tr>
          <tr><td height="24">&nbsp;<img src="/images/dot.gif" width="3" height="3">&nbsp;<a href="/xwzx/2017-11/23/content_88.htm" target="_blank" title="2017中国新型城市论坛荆门峰会综述">2017中国新型城市论坛荆</a> <span class="date12">(2017-11-23)</span></td></tr>
          <tr><td height="24">&nbsp;<img src="/images/dot.gif" width="3" height="3">&nbsp;<a href="/xwzx/2017-11/15/content_76.htm" target="_blank" title="2017中国新型城市论坛荆门峰会将于11月19日开幕">2017中国新型城市论坛荆</a> <span class="date12">(2017-11-15)</span></td></tr>
          <tr><td height="24">&nbsp;<img src="/images/dot.gif" width="3" height="3">&nbsp;<a href="/xwzx/2017-11/10/content_70.htm" target="_blank" title="我市部署今冬明春森林防火工作">我市部署今冬明春森林防火工</a> <span class="date12">(2017-11-10)</span></td></tr>
      </table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td height="8"></td></tr></table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="bk1">
        <tr><td height="30" background="/images/lanmu_bg.gif" class="lanmu">专题专栏</td></tr>
        <tr><td align="center" height="70"><a href="/xwzx/list.asp"><img src="/images/zt_xxcs.gif" width="220" height="60" border="0" alt="2017中国新型城市论坛荆门峰会"></a></td></tr>
        <tr><td align="center" height="70"><a href="/zwgk/index.htm"><img src="/images/zt_sjd.gif" width="220" height="60" border="0" alt="学习贯彻党的十九大精神"></a></td></tr>
        <tr><td align="center" height="70"><a href="/about.html#tzjm"><img src="/images/zt_tzjm.gif" width="220" height="60" border="0" alt="投资荆门"></a></td></tr>
      </table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td height="8"></td></tr></table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="bk1">
        <tr><td height="30" background="/images/lanmu_bg.gif" class="lanmu">网上办事</td></tr>
        <tr><td height="24">&nbsp;&middot;&nbsp;<a href="/zwgk/index.htm#bsfw">办事指南</a>&nbsp;&nbsp;&middot;&nbsp;<a href="/zwgk/index.htm#bsfw">表格下载</a></td></tr>
        <tr><td height="24">&nbsp;&middot;&nbsp;<a href="/zwgk/index.htm#bsfw">在线申报</a>&nbsp;&nbsp;&middot;&nbsp;<a href="/zwgk/index.htm#bsfw">结果公示</a></td></tr>
        <tr><td height="24">&nbsp;&middot;&nbsp;<a href="/contact.html#zmhd">市长信箱</a>&nbsp;&nbsp;&middot;&nbsp;<a href="/contact.html#zmhd">咨询投诉</a></td></tr>
        <tr><td height="24">&nbsp;&middot;&nbsp;<a href="/contact.html#zmhd">在线访谈</a>&nbsp;&nbsp;&middot;&nbsp;<a href="/contact.html#zmhd">民意征集</a></td></tr>
      </table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td height="8"></td></tr></table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="bk1">
        <tr><td height="30" background="/images/lanmu_bg.gif" class="lanmu">网上调查</td></tr>
        <tr><td>
          <form name="vote" method="post" action="/vote/vote.asp" target="_blank" style="margin:6px">
          您对荆门城市建设管理工作的总体评价是：<br>
          <input type="radio" name="item" value="1">非常满意<br>
          <input type="radio" name="item" value="2">比较满意<br>
          <input type="radio" name="item" value="3">基本满意<br>
          <input type="radio" name="item" value="4">不满意<br>
          <input type="hidden" name="voteid" value="37">
          <input type="submit" value="投票"> <input type="button" value="查看" onclick="MM_openBrWindow('/vote/view.asp?voteid=37','vote','width=420,height=300')">
          </form>
        </td></tr>
      </table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td height="8"></td></tr></table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="bk1">
        <tr><td height="30" background="/images/lanmu_bg.gif" class="lanmu">便民服务</td></tr>
        <tr><td height="22">&nbsp;市民服务热线：12345&nbsp;&nbsp;供电服务：95598</td></tr>
        <tr><td height="22">&nbsp;自来水公司：0724-2334567&nbsp;&nbsp;燃气：0724-2345678</td></tr>
        <tr><td height="22">&nbsp;公交查询：0724-2312255&nbsp;&nbsp;天气预报：12121</td></tr>
        <tr><td height="22">&nbsp;火车站问询：0724-2358222&nbsp;&nbsp;汽车客运站：0724-2338899</td></tr>
      </table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td height="8"></td></tr></table>
      <table width="100%" border="0" cellspacing="0" cellpadding="0" class="bk1">
        <tr><td height="30" background="/images/lanmu_bg.gif" class="lanmu">县市区政府</td></tr>
        <tr><td height="24">&nbsp;<a href="http://www.zhongxiang.gov.cn/" target="_blank">钟祥市</a>&nbsp;<a href="http://www.jingshan.gov.cn/" target="_blank">京山县</a>&nbsp;<a href="http://www.shayang.gov.cn/" target="_blank">沙洋县</a></td></tr>
        <tr><td height="24">&nbsp;<a href="http://www.dongbao.gov.cn/" target="_blank">东宝区</a>&nbsp;<a href="http://www.duodao.gov.cn/" target="_blank">掇刀区</a>&nbsp;<a href="http://www.zhanghe.gov.cn/" target="_blank">漳河新区</a></td></tr>
      </table>
    </td>
    <td width="10">&nbsp;</td>
    <td width="735" valign="top">
      <table width="100%" border="0" cellspacing="0" cellpadding="0">
        <tr><td height="32" class="weizhi" background="/images/weizhi_bg.gif">&nbsp;&nbsp;<img src="/images/home.gif" width="12" height="12">&nbsp;您现在的位置：<a href="/">首页</a> &gt;&gt; <a href="/xwzx/list.asp">新闻中心</a></td></tr>
      </table>
      <table width="96%" border="0" align="center" cellpadding="0" cellspacing="0">
        <tr><td height="10" colspan="3"></td></tr>
        <tr><td width="20" align="center"><img src="/images/dot.gif" width="3" height="3"></td><td class="list14"><a href="/xwzx/2017-12/06/content_110.htm" target="_blank">我市召开全市城市管理工作推进会</a></td><td width="90" align="right" class="date12">2017-12-06</td></tr>
        <tr><td colspan="3" height="1" background="/images/line_dot.gif"></td></tr>
        <tr><td width="20" align="center"><img src="/images/dot.gif" width="3" height="3"></td><td class="list14"><a href="/xwzx/2017-12/01/content_102.htm" target="_blank">市政府召开第十五次常务会议</a></td><td width="90" align="right" class="date12">2017-12-01</td></tr>
        <tr><td colspan="3" height="1" background="/images/line_dot.gif"></td></tr>
        <tr><td width="20" align="center"><img src="/images/dot.gif" width="3" height="3"></td><td class="list14"><a href="/xwzx/2017-11/28/content_95.htm" target="_blank">市人民政府关于印发荆门市新型城镇化发展规划（2017—2020年）的通知</a></td><td width="90" align="right" class="date12">2017-11-28</td></tr>
        <tr><td colspan="3" height="1" background="/images/line_dot.gif"></td></tr>
        <tr><td width="20" align="center"><img src="/images/dot.gif" width="3" height="3"></td><td class="list14"><a href="/xwzx/2017-11/23/content_88.htm" target="_blank">2017中国新型城市论坛荆门峰会综述</a></td><td width="90" align="right" class="date12">2017-11-23</td></tr>
        <tr><td colspan="3" height="1" background="/images/line_dot.gif"></td></tr>
        <tr><td width="20" align="center"><img src="/images/dot.gif" width="3" height="3"></td><td class="list14"><a href="/xwzx/2017-11/15/content_76.htm" target="_blank">2017中国新型城市论坛荆门峰会将于11月19日开幕</a></td><td width="90" align="right" class="date12">2017-11-15</td></tr>
        <tr><td colspan="3" height="1" background="/images/line_dot.gif"></td></tr>
        <tr><td colspan="3" height="40" align="center">共9条&nbsp;&nbsp;每页5条&nbsp;&nbsp;页次：1/2&nbsp;&nbsp;[<a href="/xwzx/list.asp?page=1">首页</a>] [上一页] [<a href="/xwzx/list.asp?page=2">下一页</a>] [<a href="/xwzx/list.asp?page=2">尾页</a>]&nbsp;&nbsp;转到<select name="page" onchange="location.href='/xwzx/list.asp?page='+this.value"><option value="1" selected>第1页</option><option value="2">第2页</option></select></td></tr>
      </table>
    </td>
  </tr>
</table>
<table width="980" border="0" align="center" cellpadding="0" cellspacing="0">
  <tr><td height="10"></td></tr>
  <tr>
    <td height="30" bgcolor="#E8F0F8" align="center">友情链接：
    <select onchange="if(this.value!=''){window.open(this.value);}">
      <option value="">国家部委网站</option>
      <option value="http://www.gov.cn/">中国政府网</option>
      <option value="https://www.mohurd.gov.cn/">住房和城乡建设部</option>
      <option value="https://www.ndrc.gov.cn/">国家发展和改革委员会</option>
      <option value="http://www.mof.gov.cn/">财政部</option>
      <option value="http://www.mofcom.gov.cn/">商务部</option>
      <option value="https://www.mnr.gov.cn/">自然资源部</option>
      <option value="https://www.mee.gov.cn/">生态环境部</option>
      <option value="https://www.mot.gov.cn/">交通运输部</option>
      <option value="http://www.sasac.gov.cn/">国务院国资委</option>
      <option value="http://www.pbc.gov.cn/">中国人民银行</option>
      <option value="https://www.stats.gov.cn/">国家统计局</option>
      <option value="https://www.mca.gov.cn/">民政部</option>
      <option value="https://www.nfra.gov.cn/">国家金融监督管理总局</option>
      <option value="http://www.csrc.gov.cn/">中国证券监督管理委员会</option>
    </select>
    <select onchange="if(this.value!=''){window.open(this.value);}">
      <option value="">省市政府网站</option>
      <option value="https://www.beijing.gov.cn/">北京市人民政府</option>
      <option value="https://www.shanghai.gov.cn/">上海市人民政府</option>
      <option value="https://www.zj.gov.cn/">浙江省人民政府</option>
      <option value="http://www.hubei.gov.cn/">湖北省人民政府</option>
      <option value="http://www.shanxi.gov.cn/">山西省人民政府</option>
      <option value="http://www.jiangsu.gov.cn/">江苏省人民政府</option>
      <option value="http://www.gd.gov.cn/">广东省人民政府</option>
      <option value="https://www.sc.gov.cn/">四川省人民政府</option>
      <option value="http://www.hunan.gov.cn/">湖南省人民政府</option>
      <option value="https://www.henan.gov.cn/">河南省人民政府</option>
    </select>
    <select onchange="if(this.value!=''){window.open(this.value);}">
      <option value="">湖北省内市州</option>
      <option value="http://www.wuhan.gov.cn/">武汉市人民政府</option>
      <option value="http://www.xiangyang.gov.cn/">襄阳市人民政府</option>
      <option value="http://www.yichang.gov.cn/">宜昌市人民政府</option>
      <option value="http://www.jingzhou.gov.cn/">荆州市人民政府</option>
      <option value="http://www.xiaogan.gov.cn/">孝感市人民政府</option>
      <option value="http://www.suizhou.gov.cn/">随州市人民政府</option>
      <option value="http://www.shiyan.gov.cn/">十堰市人民政府</option>
      <option value="http://www.hg.gov.cn/">黄冈市人民政府</option>
      <option value="http://www.xianning.gov.cn/">咸宁市人民政府</option>
      <option value="http://www.ezhou.gov.cn/">鄂州市人民政府</option>
      <option value="http://www.huangshi.gov.cn/">黄石市人民政府</option>
      <option value="http://www.enshi.gov.cn/">恩施州人民政府</option>
    </select>
    <select onchange="if(this.value!=''){window.open(this.value);}">
      <option value="">市直部门网站</option>
      <option value="http://fgw.jingmen.gov.cn/">荆门市发展和改革委员会</option>
      <option value="http://jxw.jingmen.gov.cn/">荆门市经济和信息化委员会</option>
      <option value="http://jyj.jingmen.gov.cn/">荆门市教育局</option>
      <option value="http://kjj.jingmen.gov.cn/">荆门市科学技术局</option>
      <option value="http://gaj.jingmen.gov.cn/">荆门市公安局</option>
      <option value="http://mzj.jingmen.gov.cn/">荆门市民政局</option>
      <option value="http://sfj.jingmen.gov.cn/">荆门市司法局</option>
      <option value="http://czj.jingmen.gov.cn/">荆门市财政局</option>
      <option value="http://rsj.jingmen.gov.cn/">荆门市人力资源和社会保障局</option>
      <option value="http://gtj.jingmen.gov.cn/">荆门市国土资源局</option>
      <option value="http://hbj.jingmen.gov.cn/">荆门市环境保护局</option>
      <option value="http://zjw.jingmen.gov.cn/">荆门市住房和城乡建设委员会</option>
      <option value="http://ghj.jingmen.gov.cn/">荆门市城乡规划局</option>
      <option value="http://jtj.jingmen.gov.cn/">荆门市交通运输局</option>
      <option value="http://slj.jingmen.gov.cn/">荆门市水务局</option>
      <option value="http://nyj.jingmen.gov.cn/">荆门市农业局</option>
      <option value="http://lyj.jingmen.gov.cn/">荆门市林业局</option>
      <option value="http://swj.jingmen.gov.cn/">荆门市商务局</option>
      <option value="http://whj.jingmen.gov.cn/">荆门市文化新闻出版广电局</option>
      <option value="http://wjw.jingmen.gov.cn/">荆门市卫生和计划生育委员会</option>
      <option value="http://sjj.jingmen.gov.cn/">荆门市审计局</option>
      <option value="http://gzw.jingmen.gov.cn/">荆门市国有资产监督管理委员会</option>
      <option value="http://ajj.jingmen.gov.cn/">荆门市安全生产监督管理局</option>
      <option value="http://tjj.jingmen.gov.cn/">荆门市统计局</option>
      <option value="http://wjj.jingmen.gov.cn/">荆门市物价局</option>
      <option value="http://cgw.jingmen.gov.cn/">荆门市城市管理执法委员会</option>
      <option value="http://lyw.jingmen.gov.cn/">荆门市旅游委员会</option>
      <option value="http://spj.jingmen.gov.cn/">荆门市食品药品监督管理局</option>
      <option value="http://zsj.jingmen.gov.cn/">荆门市招商局</option>
      <option value="http://zwzx.jingmen.gov.cn/">荆门市政务服务中心</option>
    </select>
    <select onchange="if(this.value!=''){window.open(this.value);}">
      <option value="">新闻媒体</option>
      <option value="http://www.people.com.cn/">人民网</option>
      <option value="http://www.xinhuanet.com/">新华网</option>
      <option value="http://www.ce.cn/">中国经济网</option>
      <option value="https://www.chinanews.com.cn/">中国新闻网</option>
      <option value="https://www.gmw.cn/">光明网</option>
      <option value="https://www.cctv.com/">央视网</option>
      <option value="https://www.chinadaily.com.cn/">中国日报网</option>
      <option value="http://www.caupd.com/">中国城市规划设计研究院</option>
    </select>
    </td>
  </tr>
  <tr><td height="4" bgcolor="#1A5294"></td></tr>
  <tr>
    <td align="center" class="footer12" height="110" bgcolor="#F1F6FB">
      <a href="/about.html">关于本网</a> | <a href="/contact.html">联系我们</a> | <a href="/xwzx/list.asp">新闻中心</a> | <a href="/zwgk/index.htm">政务公开</a><br>
      主办：荆门市人民政府办公室&nbsp;&nbsp;&nbsp;承办：荆门市电子政务信息中心<br>
      地址：荆门市象山大道39号&nbsp;&nbsp;邮编：448000&nbsp;&nbsp;联系电话：0724-2332651<br>
      版权所有：荆门市人民政府&nbsp;&nbsp;<a href="http://www.miibeian.gov.cn" target="_blank">鄂ICP备05012673号</a>&nbsp;&nbsp;网站标识码：4208000001&nbsp;&nbsp;鄂公网安备 42080202000172号<br>
      建议使用IE6.0以上版本浏览器，1024×768分辨率浏览本站
    </td>
  </tr>
</table>
<script language="javascript">
// 对联广告
var delta = 0.15;
var collection;
function floaters() {
  this.items = [];
  this.addItem = function (id, x, y, content) {
    document.write('<div id=' + id + ' style="z-index:10;position:absolute;width:80px;height:260px;left:' + (typeof(x) == 'string' ? eval(x) : x) + ';top:' + (typeof(y) == 'string' ? eval(y) : y) + '">' + content + '</div>');
    var newItem = {};
    newItem.object = document.getElementById(id);
    newItem.x = x;
    newItem.y = y;
    this.items[this.items.length] = newItem;
  };
  this.play = function () {
    collection = this.items;
    setInterval('play()', 10);
  };
}
function play() {
  for (var i = 0; i < collection.length; i++) {
    var followObj = collection[i].object;
    var followObj_x = (typeof(collection[i].x) == 'string' ? eval(collection[i].x) : collection[i].x);
    var followObj_y = (typeof(collection[i].y) == 'string' ? eval(collection[i].y) : collection[i].y);
    if (followObj.offsetLeft != (document.body.scrollLeft + followObj_x)) {
      var dx = (document.body.scrollLeft + followObj_x - followObj.offsetLeft) * delta;
      dx = (dx > 0 ? 1 : -1) * Math.ceil(Math.abs(dx));
      followObj.style.left = followObj.offsetLeft + dx;
    }
    if (followObj.offsetTop != (document.body.scrollTop + followObj_y)) {
      var dy = (document.body.scrollTop + followObj_y - followObj.offsetTop) * delta;
      dy = (dy > 0 ? 1 : -1) * Math.ceil(Math.abs(dy));
      followObj.style.top = followObj.offsetTop + dy;
    }
    followObj.style.display = '';
  }
}
var theFloaters = new floaters();
theFloaters.addItem('followDiv1', 'document.body.clientWidth-90', 120, '<a href="/xwzx/list.asp" target="_blank"><img src="/images/dl_left.gif" width="80" height="260" border="0"></a>');
theFloaters.addItem('followDiv2', 10, 120, '<a href="/zwgk/index.htm" target="_blank"><img src="/images/dl_right.gif" width="80" height="260" border="0"></a>');
theFloaters.play();
</script>
</body>
</html>
