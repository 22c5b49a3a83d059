// 荆门市人民政府门户网站 公共脚本
function doZoom(size) {
  var obj = document.getElementById("zoom");
  if (obj) { obj.style.fontSize = size + "px"; }
}
function MM_openBrWindow(theURL, winName, features) {
  window.open(theURL, winName, features);
}
