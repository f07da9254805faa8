"""The domain dictionary for jieba: policy terms listed by hand plus terms mined from
the corpus (quoted coinages such as “一网通办”, “秦务员”, “证照分离”).

>>> "一网通办" in mine_terms(["推进“一网通办”和“好差评”"])
True
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

# Terms people ask about that jieba would cut apart. Mined terms add the corpus's own coinages.
BASE_TERMS = """
企业开办 开办企业 一网通办 一网好办 一网统管 秦务员 证照分离 照后减证 告知承诺制 告知承诺 双随机 一公开 获得电力 获得用水 获得用气
用水报装 用气报装 用电报装 办电 报装 不动产登记 抵押登记 交房即交证 交地即交证 拿地即开工 标准地 多测合一 多规合一 联合验收 竣工验收
施工许可 工程建设项目 审批时限 审批时间 工作日 自然日 简易注销 强制注销 注销登记 企业注销 歇业 休眠期 信用修复 失信惩戒 容缺受理 容缺办
跨省通办 省内通办 全程网办 一件事一次办 一件事 免申即享 好差评 一业一证 一照多址 一证多址 一照通办 一证通办 电子营业执照 电子证照 电子印章
涉企经营许可 行政许可 营业执照 印章刻制 税务Ukey 电子发票 纳税时间 出口退税 跨境贸易 整体通关时间 政府采购 招标投标 投标保证金 工程保函
融资担保 担保费率 首贷 续贷 质押融资 知识产权 专利 商标 地理标志 个体工商户 民营企业 民营经济 中小微企业 小微企业 市场主体 放管服
营商环境 政务服务 政务服务中心 综合窗口 12345 市民热线 营商环境投诉 包容审慎 首违不罚 轻微违法 免罚清单 三张清单 破产 商事案件 执行合同
农民工工资 拖欠账款 劳动仲裁 人才服务 就业协议书 落户 户籍 公积金 社保 医保 低保 特困 水电气暖 转供电 中介服务 中介超市 区域评估 用地清单制
亩均论英雄 链长制 首办户 汇率避险 基础设施REITs REITs 高新技术企业 专精特新 秦创原 一站式 最多跑一次 马上办 就近办 掌上办 帮办代办 店小二
跨部门综合监管 综合监管 信用监管 互联网+监管 双包一解 放权强区 审管联动 进一次门 查多项事
西安市 西咸新区 渭滨区 宝鸡市 咸阳市 延安市 铜川市 高新区 经开区 陕西省
""".split()

_QUOTED = re.compile(r"[“\"]([\u4e00-\u9fffA-Za-z0-9+、]{2,10})[”\"]")


def mine_terms(texts: Iterable[str], min_count: int = 1) -> list[str]:
    """Quoted coinages (“一网通办”, “双随机、一公开” and its parts) found in the texts."""
    c: Counter[str] = Counter()
    for t in texts:
        for m in _QUOTED.findall(t):
            for part in [m, *m.split("、")]:
                if 2 <= len(part) <= 10 and not part.isdigit():
                    c[part] += 1
    return sorted(w for w, n in c.items() if n >= min_count)


def domain_dictionary(texts: Iterable[str]) -> list[str]:
    return sorted(set(BASE_TERMS) | set(mine_terms(texts)))
