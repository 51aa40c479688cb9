//! Traditional Chinese characters folded to simplified ones, so that a buyer in Taiwan or Hong
//! Kong who writes "沒收到貨" names the same concepts as one who writes "没收到货": the lexicon
//! is written in simplified characters only. One character for one, the common ones a
//! complaint uses; characters that are also ordinary simplified characters (乾, 著, 於) are
//! left out, so simplified text is never changed.

use std::sync::OnceLock;

/// Pairs of (traditional, simplified), written without separators.
const PAIRS: &[&str] = &[
    "丟丢亂乱來来係系倉仓個个們们傳传債债傷伤僅仅價价億亿償偿優优儲储兌兑兒儿兩两別别則则剎刹剛刚劃划",
    "劑剂劵券動动務务勞劳勢势匯汇區区協协卻却厭厌厲厉參参員员問问啟启單单嗎吗嚴严國国圍围圓圆圖图團团",
    "報报塊块壓压壞坏壯壮壺壶壽寿夠够奪夺妝妆媽妈嬰婴學学實实寧宁寫写寬宽寶宝將将專专對对屆届層层屬属",
    "岡冈島岛嶺岭帳账帶带幣币幫帮幾几庫库廠厂廣广廳厅張张強强彈弹彎弯彙汇後后從从復复徵征徹彻惡恶愛爱",
    "態态慣惯慮虑慶庆憂忧憑凭憤愤憲宪應应懶懒懷怀戰战戶户掃扫掛挂換换揮挥損损搖摇搶抢撥拨撿捡擁拥擇择",
    "擊击擋挡擔担據据擠挤擬拟擴扩擺摆擾扰攔拦攜携攝摄敗败敵敌數数斷断時时晝昼暫暂曆历書书會会東东條条",
    "棄弃棟栋業业極极樂乐樓楼標标樣样樹树橋桥機机檢检檯台櫃柜櫥橱權权歐欧歡欢歲岁歷历歸归殘残殺杀毀毁",
    "氣气決决沒没沖冲況况涼凉淨净淺浅減减測测湯汤準准溝沟滅灭滯滞滾滚滿满漁渔漲涨潔洁潛潜潤润澀涩濃浓",
    "濕湿濟济濾滤灑洒灘滩灣湾為为烏乌無无煙烟煩烦熱热燈灯燒烧營营爐炉爛烂爭争牆墙獄狱獎奖獨独獲获現现",
    "瑣琐環环甕瓮產产畝亩畫画異异當当疊叠療疗發发皺皱盃杯盜盗盞盏盡尽監监盤盘瞞瞒矯矫硃朱硯砚碩硕確确",
    "碼码礎础礙碍祕秘禍祸禦御禮礼秈籼稅税種种稱称積积穩稳窩窝竄窜竅窍竊窃筆笔筍笋箏筝節节範范築筑篩筛",
    "簡简簽签簾帘籃篮籠笼糞粪糧粮糾纠紀纪約约紅红紋纹納纳紐纽純纯紗纱紙纸級级紛纷紡纺紮扎細细紹绍終终",
    "組组結结絕绝絞绞絡络給给絨绒統统絲丝綁绑經经綜综綠绿綢绸綫线維维網网緊紧緒绪線线緞缎編编緩缓練练",
    "縣县縫缝縮缩縱纵總总績绩織织繞绕繡绣繩绳繫系繳缴繼继續续纏缠纖纤罈坛罰罚羅罗義义習习聖圣聞闻聯联",
    "聲声職职聽听肅肃脅胁脫脱腦脑腫肿腳脚膚肤膠胶膩腻臉脸臺台與与舉举舊旧艙舱艦舰艷艳莊庄華华萊莱萬万",
    "葉叶蓋盖蔣蒋蔥葱薦荐薩萨藍蓝藝艺藥药蘋苹蘭兰處处虛虚號号螢萤蟲虫蠟蜡蠶蚕術术衛卫衝冲袞衮裏里補补",
    "裝装裡里製制複复褲裤襖袄襪袜襯衬見见規规視视親亲覺觉覽览觀观觸触訂订計计訊讯討讨訓训託托記记訝讶",
    "訪访設设許许訴诉診诊註注証证詐诈評评詞词詢询試试詭诡話话該该詳详誇夸誌志認认誕诞誘诱語语誠诚誤误",
    "誦诵說说誰谁課课誼谊調调談谈請请諒谅論论諮咨諾诺謊谎謎谜講讲謝谢謹谨證证識识譜谱譯译議议護护讀读",
    "變变讓让讚赞豐丰豔艳貓猫貝贝貞贞負负財财貢贡貧贫貨货販贩貪贪貫贯責责貯贮貴贵貶贬買买貸贷費费貼贴",
    "貿贸賀贺賃赁賄贿資资賊贼賓宾賜赐賞赏賠赔賢贤賣卖賤贱賦赋質质賬账賭赌賴赖賺赚購购賽赛贅赘贈赠贊赞",
    "贏赢贖赎趕赶趙赵跡迹踐践蹤踪躍跃車车軋轧軌轨軍军軒轩軟软軸轴較较載载輔辅輕轻輛辆輝辉輩辈輪轮輯辑",
    "輸输轉转轎轿辦办辭辞辯辩農农這这連连週周進进遊游運运過过達达違违遜逊遞递遠远適适遲迟選选遺遗邁迈",
    "還还邊边郵邮鄉乡鄭郑鄰邻醜丑醫医醬酱釀酿釋释釘钉針针釣钓釦扣鈍钝鈔钞鈕钮鈴铃鉛铅銀银銅铜銘铭銳锐",
    "銷销鋁铝鋪铺鋼钢錄录錘锤錢钱錦锦錫锡錯错錶表鍋锅鍛锻鍵键鍾钟鎖锁鎮镇鏈链鏟铲鏡镜鐘钟鐮镰鐵铁鑄铸",
    "鑑鉴鑒鉴鑰钥長长門门閃闪閉闭開开閒闲間间閘闸閣阁閩闽閱阅闆板闊阔闖闯關关闡阐陝陕陣阵陰阴陳陈陸陆",
    "陽阳隊队際际隨随險险隱隐隸隶隻只雖虽雙双雛雏雜杂雞鸡離离難难雲云電电霧雾靂雳靈灵靜静韋韦韌韧韓韩",
    "響响頁页頂顶頃顷項项順顺須须頌颂預预頑顽頓顿頗颇領领頭头頸颈頹颓頻频顆颗題题額额顏颜願愿顛颠類类",
    "顧顾顫颤顯显風风颱台颳刮飄飘飛飞飢饥飯饭飲饮飼饲飽饱飾饰餓饿餘余館馆餵喂饋馈饒饶馳驰駐驻駕驾駛驶",
    "騎骑騙骗騰腾驅驱驕骄驗验驚惊驛驿驟骤骯肮髒脏體体髮发鬆松鬍胡鬥斗鬧闹魯鲁鮮鲜鯨鲸鳳凤鳴鸣鴨鸭鴻鸿",
    "鵝鹅鶴鹤鷹鹰鹽盐麗丽麥麦麵面麼么黃黄點点黨党齊齐齒齿齡龄龍龙",
];

fn table() -> &'static [(char, char)] {
    static TABLE: OnceLock<Vec<(char, char)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let chars: Vec<char> = PAIRS.iter().flat_map(|line| line.chars()).collect();
        let mut pairs: Vec<(char, char)> = chars.chunks(2).map(|p| (p[0], p[1])).collect();
        pairs.sort_unstable();
        pairs
    })
}

/// The simplified form of a traditional character, or the character itself.
pub(crate) fn simplified(c: char) -> char {
    let table = table();
    match table.binary_search_by_key(&c, |p| p.0) {
        Ok(i) => table[i].1,
        Err(_) => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_whole_distinct_and_leave_simplified_text_alone() {
        let chars: Vec<char> = PAIRS.iter().flat_map(|line| line.chars()).collect();
        assert_eq!(chars.len() % 2, 0);
        let table = table();
        for w in table.windows(2) {
            assert_ne!(w[0].0, w[1].0, "{:?} twice", w[0].0);
        }
        // No simplified character is itself folded (no chains).
        for &(_, s) in table {
            assert_eq!(simplified(s), s, "{s}");
        }
        let folded: String = "我的包裹已經十天沒有更新物流了"
            .chars()
            .map(simplified)
            .collect();
        assert_eq!(folded, "我的包裹已经十天没有更新物流了");
    }
}
