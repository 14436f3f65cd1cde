"""Data for 0003: every existing reporter belongs to the case it filed (so ``case.reporters`` holds it),
and the seeded categories get the words residents and hotline operators use for them.

The keywords are plain defaults (everyday words, common synonyms, the GB/T 30428 name's parts), editable
in the admin; a category whose keywords someone already filled in is left alone.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery

KEYWORDS = {
    # 城市管理事件 — 市容环境
    "E0101": "违章建筑,违建,乱搭乱建,私自搭建,加盖,彩钢棚",
    "E0102": "垃圾,暴露垃圾,垃圾乱扔,垃圾堆,乱倒垃圾",
    "E0103": "建筑垃圾,渣土,垃圾堆积,积存垃圾,装修垃圾",
    "E0104": "道路脏,路面脏,不清扫,污渍,油污",
    "E0105": "河道垃圾,水面漂浮物,河水脏,池塘脏,水体污染",
    "E0106": "绿地垃圾,草坪脏,绿化带垃圾",
    "E0107": "焚烧,烧垃圾,烧树叶,烧秸秆,烟雾",
    # 宣传广告
    "E0201": "小广告,牛皮癣,乱贴,乱涂乱画,喷涂",
    "E0202": "户外广告,招牌,广告牌,横幅,霓虹灯",
    "E0203": "占道广告,广告牌挡路,立牌,灯箱",
    # 施工管理
    "E0301": "施工噪音,夜间施工,扰民,噪声",
    "E0302": "扬尘,工地灰尘,未覆盖,粉尘",
    "E0303": "遗撒,渣土车,撒漏,泥土",
    "E0304": "占道施工,挖路,围挡,施工占道",
    # 突发事件
    "E0401": "路面塌陷,地陷,塌方,坑洞",
    "E0402": "水管破裂,爆管,漏水,自来水",
    "E0403": "燃气泄漏,煤气,天然气,燃气管道,气味",
    "E0404": "下水道堵塞,污水外溢,管道破损,反水,化粪池",
    "E0405": "积水,内涝,淹水,排水不畅",
    "E0406": "火情,着火,起火,冒烟,火灾",
    # 街面秩序
    "E0501": "无照经营,游商,流动摊贩,小贩",
    "E0502": "占道经营,摆摊,占道摊点",
    "E0503": "店外经营,出店经营,店门口摆放",
    "E0504": "乱停车,违停,机动车乱停,堵路,占用车位",
    "E0505": "电动车乱停,自行车乱停,共享单车,非机动车",
    "E0506": "露天烧烤,烧烤,油烟",
    # 城市管理部件 — 公用设施
    "C0101": "井盖,上水井盖,井盖缺失,井盖破损",
    "C0102": "污水井盖,井盖缺失,井盖破损",
    "C0103": "雨水井盖,雨水箅子,井盖缺失",
    "C0104": "电力井盖,电缆井,井盖破损",
    "C0105": "路灯,路灯不亮,灯不亮,照明,灯杆",
    "C0106": "消防栓,消火栓,漏水,损坏",
    "C0107": "公厕,公共厕所,厕所脏,厕所损坏",
    # 道路交通
    "C0201": "红绿灯,信号灯,交通灯,红绿灯坏了",
    "C0202": "交通标志,路牌,指示牌,标志牌",
    "C0203": "护栏,隔离栏,栏杆损坏",
    "C0204": "公交站,候车亭,站牌",
    "C0205": "路面破损,坑洼,路坏了,坑",
    # 市容环境
    "C0301": "垃圾箱,垃圾桶,果皮箱,垃圾桶满了",
    "C0302": "垃圾站,垃圾收集点,转运站",
    "C0303": "环卫设施,环卫车,洒水车",
    # 园林绿化
    "C0401": "古树,古树名木,大树",
    "C0402": "行道树,树木倒伏,树枝,断枝",
    "C0403": "绿地,草坪,绿化",
    "C0404": "花坛,花箱,花池",
    # 房屋土地
    "C0501": "外墙,墙皮脱落,外立面,空调外机",
    "C0502": "地下通道,通道积水,通道照明",
    "C0503": "空地,闲置地,荒地",
    # 矛盾纠纷
    "D01": "婚姻,家庭,离婚,赡养,抚养,家暴",
    "D02": "邻居,邻里,吵架,噪音,漏水到楼下",
    "D03": "宅基地,房屋,建房,界址,滴水",
    "D04": "山林,土地,承包地,地界,林地",
    "D05": "合同,欠款,违约,借款",
    "D06": "赔偿,损害,打伤,损坏",
    "D07": "工资,欠薪,劳动,讨薪,工伤",
    "D08": "物业,物业费,小区,业委会",
    "D09": "医疗,医院,医患",
    "D10": "交通事故,车祸,撞车,理赔",
    "D11": "征地,拆迁,补偿,安置",
    "D12": "污染,排污,臭味,废水,噪声污染",
    "D13": "消费,购物,退货,商家,假货",
    "D99": "纠纷,矛盾,调解",
    # 民生代办
    "S01": "社保,社会保险,养老保险,缴费",
    "S02": "医保,医疗保险,报销",
    "S03": "养老,老人,居家养老,高龄津贴",
    "S04": "低保,最低生活保障,困难",
    "S05": "残疾证,残疾人,残联",
    "S06": "户口,身份证,户籍,证件",
    "S07": "生育,出生,准生,生育登记",
    "S08": "退役军人,优抚,老兵",
    "S99": "代办,帮办,办事",
    # 安全隐患
    "H01": "消防,火灾隐患,消防通道,电动车充电,飞线",
    "H02": "危房,房屋开裂,房屋倒塌,墙体裂缝",
    "H03": "燃气,煤气罐,液化气,燃气泄漏",
    "H04": "交通隐患,路口,急弯,视线遮挡",
    "H05": "防汛,水库,堤坝,河堤,渗漏,溃口",
    "H06": "滑坡,山体,地质灾害,泥石流,落石",
    "H07": "食品安全,变质,过期,无证餐馆",
    "H08": "电梯,锅炉,特种设备,压力容器",
    "H09": "危化品,化学品,易燃易爆,有毒",
    # 热线诉求
    "R01": "咨询,问一下,请问,政策",
    "R02": "投诉,举报,不满,反映",
    "R03": "建议,意见,希望",
    "R04": "表扬,感谢,点赞",
}


def forward(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Category = apps.get_model("cases", "Category")
    Reporter = apps.get_model("cases", "Reporter")
    # One statement: each reporter takes the case that points at it (the first reporter of that case).
    filed = Case.objects.filter(reporter_id=OuterRef("pk")).order_by("pk").values("pk")[:1]
    Reporter.objects.filter(case__isnull=True, cases__isnull=False).update(case=Subquery(filed), joined=False)
    for code, words in KEYWORDS.items():
        Category.objects.filter(code=code, keywords="").update(keywords=words)


def backward(apps, schema_editor):
    """Nothing to undo: 0003's reversal drops the columns."""


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_several_reporters_keywords")]

    operations = [migrations.RunPython(forward, backward)]
