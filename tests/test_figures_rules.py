"""Figure extraction rules, one class each, on small fixture clauses written for the test (fast)."""
from __future__ import annotations

from qa_service.figures.extract import extract_sentence


def described(sentence: str, context: str = ""):
    return [(r.value, r.unit_class, r.measure, r.subcase, r.qualifier) for r in extract_sentence(sentence, context)
            if r.kind != "date"]


def test_a_hedge_is_a_qualifier_not_part_of_the_measure():
    assert described("仲裁案件原则上不超过45天") == [(45.0, "自然日", "仲裁案件", "", "原则上")]
    assert described("新建5G基站力争达到800个") == [(800.0, "个", "新建5G基站", "", "力争")]
    # 一般 at the start is a name's adjective, not a hedge
    assert described("一般社会投资项目审批时间压减至30个工作日")[0][3] == "一般社会投资项目"


def test_a_clause_naming_only_a_case_repeats_the_measure_before_it():
    got = described("减免审批的事项力争达到60项以上，自由贸易试验区力争达到90项")
    assert got == [(60.0, "项", "减免审批的事项", "", "力争"), (90.0, "项", "减免审批的事项", "自由贸易试验区", "力争")]


def test_a_part_after_qizhong_counts_the_same_things():
    got = described("梳理出40项可推广的创新举措，其中省外12项")
    assert [(v, m, s) for v, _, m, s, _ in got] == [(40.0, "创新举措", ""), (12.0, "创新举措", "省外")]


def test_a_relative_clause_before_a_measured_noun_is_its_case():
    got = described("劳动争议案件审理周期缩短10天，事实清楚的劳动争议案件一般在30天内审结")
    assert got[1][2:] == ("劳动争议案件", "事实清楚的", "一般")


def figures(sentence: str):
    return [(r.text, r.unit_class, r.measure, r.kind, r.comparator, r.qualifier) for r in extract_sentence(sentence)
            if r.kind != "date"]


def test_a_count_of_levels_names_the_levels():
    assert figures("省市县三级窗口统一受理")[0] == ("三级", "其他", "省市县", "count", "", "")
    assert figures("市、区县（开发区）两级清单同步公布")[0][2] == "市、区县（开发区）"
    # the levels stay the scope of the share that follows them
    share = extract_sentence("新区新城两级95%以上的涉企事项实现网上办")[1]
    assert (share.value, share.measure, share.subcase) == (95.0, "涉企事项", "新区新城两级")
    assert figures("用好三级协调机制") == figures("建设“三级网络”") == []


def test_once_counts_an_action_and_a_period_is_a_frequency():
    assert figures("每两年开展一次“营商体检”评估") == [
        ("两年", "年", "“营商体检”评估", "commitment", "每", ""), ("一次", "次", "“营商体检”评估", "commitment", "", "每两年")]
    assert figures("每年至少召开2次座谈会") == [("2次", "次", "座谈会", "commitment", "至少", "每年")]
    assert figures("涉税事项一次办结")[0][2] == "涉税事项"  # a bare verb after: said of the subject
    # 一次性, 一次 inside a quoted slogan, a session's ordinal: not counts of times
    assert figures("给予一次性补助") == figures("推行“一件事一次办”") == figures("学习省委十四届三次全会精神") == []


def test_ming_counts_people_and_ranks_are_not_figures():
    assert figures("培育技能人才800名")[0][:2] == ("800名", "人")
    assert figures("评价排名前10名的区县") == []


def cases(sentence: str):
    return [(r.value, r.measure, r.subcase) for r in extract_sentence(sentence) if r.kind != "date"]


def test_respectively_pairs_each_value_with_its_listed_case():
    # the verb before the first level belongs to the whole list
    got = cases("对荣获国家、省级和市级文明工地称号的，分别按不低于合同价2%、1.5%和1%的比例计取奖励金")
    assert [(v, s) for v, _, s in got] == [(2.0, "国家"), (1.5, "省级"), (1.0, "市级")]
    # more list items than values: the lexicon's levels in the list are the cases
    got = cases("对首次认定的省级、国家级孵化器、众创空间，分别给予5万元、15万元运营补助")
    assert got == [(5e4, "运营补助", "省级"), (1.5e5, "运营补助", "国家级")]
    # the list is the subject: its shared noun is the measure, each item a case
    got = cases("城镇职工、城乡居民养老保险参保人数分别达到120万人、80万人")
    assert got == [(1.2e6, "养老保险参保人数", "城镇职工"), (8e5, "养老保险参保人数", "城乡居民")]
    # a word of the shared noun that says how each figure is taken is every figure's qualifier, as
    # it is for one figure (企业年均纳税时间 -> 企业纳税时间, 年均), not part of what is measured
    got = [(r.value, r.measure, r.subcase, r.qualifier) for r in extract_sentence("城区、农村用户年均停电时间分别压减至3、10个小时以内")]
    assert got == [(3.0, "用户停电时间", "城区", "年均"), (10.0, "用户停电时间", "农村", "年均")]


def test_listed_values_share_the_first_ones_subject_and_comparator():
    got = extract_sentence("对年纳税额首次突破1亿元、5亿元的，给予奖励")
    # 首次 is the qualifier of both (eval/README.md, figures-train conventions), not part of the measure
    assert [(r.value, r.measure, r.comparator, r.qualifier) for r in got] == [(1e8, "年纳税额", "突破", "首次"),
                                                                            (5e8, "年纳税额", "突破", "首次")]


def test_a_money_threshold_is_said_of_its_scope_and_names_the_items_it_covers():
    got = cases("对工程招标领域300万元以下的施工项目、100万元以下的监理服务，可以简化程序")
    assert got == [(3e6, "工程招标领域", "施工项目"), (1e6, "工程招标领域", "监理服务")]
    # a share is said of the noun after it; with a verb after the figure, of the subject before it
    assert cases("市县两级90%以上的涉企事项实现网上办")[1] == (90.0, "涉企事项", "市县两级")
    assert cases("全市涉企事项95%以上实现全程网办") == [(95.0, "涉企事项", "")]


def test_a_figure_whose_subject_is_a_verb_or_an_organ_is_said_of_what_follows():
    assert cases("新增不少于30项高频事项实现跨区通办")[0][:2] == (30.0, "高频事项")
    assert cases("建成至少2个省级以上技术创新中心") == [(2.0, "技术创新中心", "省级以上")]
    r = extract_sentence("不动产登记机构在2个工作日内将登记信息推送至税务部门")[0]
    assert (r.measure, r.measure_key) == ("将登记信息推送至税务部门", None)  # one organ's step, not 不动产登记's time
    # a noun before the limit is what is measured (审批 takes the time, the cases are decided in it)
    assert cases("普通民事案件3个月内审结")[0][1] == "普通民事案件"


def test_items_listed_with_a_figure_each_have_their_own_subject():
    got = cases("实现涉企事项100%网上可办、办件材料100%电子归档")
    assert [m for _, m, _ in got] == ["涉企事项", "办件材料"]
    # 由A减少到B: the second value is the same subject's
    assert [m for _, m, _ in cases("将开户提交的材料由6项减少到3项")] == ["开户提交的材料"] * 2


def test_setting_verbs_are_comparators_and_start_points_are_not_measures():
    r = extract_sentence("审批环节精简至3个")[0]
    assert (r.measure, r.comparator) == ("审批环节", "精简至")
    assert cases("行政复议案件自受理之日起45日内办结")[0][1] == "行政复议案件"


def test_joined_counts_count_the_noun_after_the_last():
    got = cases("对省级下放的12项及市级承接的8项行政许可事项实行清单管理")
    assert [(v, m) for v, m, _ in got] == [(12.0, "行政许可事项"), (8.0, "行政许可事项")]


def test_a_number_inside_a_case_name_is_no_figure_and_a_topic_names_a_bare_limit():
    got = extract_sentence("实现200千瓦及以下小微企业办电“零投资”，全过程办电时间压减至8个工作日")
    assert [(r.value, r.unit_class) for r in got] == [(8.0, "工作日")]
    r = extract_sentence("简化企业注销材料，实现2个工作日内办结")[0]
    assert (r.measure, r.measure_key) == ("企业注销", "企业注销")


def test_a_time_before_a_noun_qualifies_it():
    assert cases("政务大厅提供24小时“不打烊”的自助办税服务")[0][1] == "自助办税服务"


def test_one_stage_one_procedure_and_a_short_quoted_promise_are_figures():
    r = extract_sentence("将施工许可和竣工验收整合为一个阶段")[0]
    assert (r.value, r.unit_class, r.comparator, r.measure) == (1.0, "个", "整合为", "施工许可和竣工验收")
    assert [r.value for r in extract_sentence("12345一个号码受理诉求")] == [1.0]
    assert extract_sentence("登录一个平台办理") == []  # 一个 of anything else is a word
    # a quote holding little more than the figure is a promise; with a name's words it is the name
    assert [(r.value, r.kind) for r in extract_sentence("办事“跑一次”是上限")] == [(1.0, "commitment")]
    assert extract_sentence("推行“一件事一次办”") == []
    assert extract_sentence("审批时间为5个工作日")[0].measure == "审批时间"  # 为 alone; 时间 is the measure's


def test_a_share_of_a_base_and_a_ceiling():
    r = extract_sentence("履约保证金不得超过中标合同金额的5%")[0]
    assert (r.measure, r.comparator) == ("履约保证金", "不得超过")
    r = extract_sentence("按投资额给予补助，最高不超过50万元")[-1]
    assert (r.value, r.comparator, r.subcase) == (5e5, "最高不超过", "")


def test_what_a_count_counts():
    assert cases("在完成12项重点任务的基础上推进")[0][1] == "重点任务"
    assert cases("推出20项可供各地借鉴的创新举措")[0][1] == "创新举措"


def test_examples_before_a_count_and_a_case_inside_a_list():
    assert cases("在餐饮、零售、旅馆等不少于6个行业试点")[0][1] == "行业"
    got = cases("引进领军人才、省级技能大师、青年人才300名")[0]
    assert got[2] == ""  # 省级 narrows one item of the list, not the 300


def test_units_of_events_and_freight():
    assert [(r.text, r.unit_class) for r in extract_sentence("举办招聘会40场次，货运量达到20万吨")] == [
        ("40场次", "次"), ("20万吨", "其他")]


def test_quotes_of_figures_only_and_the_level_of_an_acting_body():
    assert [r.kind for r in extract_sentence("实现政务服务事项100%网上可办等“5个100%”")] == ["commitment", "other", "other"]
    assert cases("各市级主管部门每年组织政策宣讲不少于4场")[0][2] == ""  # 市级 says who acts, not which case


def test_a_counted_noun_ends_before_its_predicate():
    assert cases("推动婚育等5个事项平均办理时间缩短一半")[0][1] == "事项"
    assert cases("按照告知承诺、容缺受理三种方式深入推进改革")[0][1] == "方式"
    assert cases("实现不动产交易、登记一个程序一次办结")[0][1] == "程序"
    assert cases("持续推进12个“一件事一次办”事项")[0][1] == "一件事一次办"  # a quoted name is taken whole


def test_a_quoted_promise_is_said_of_the_words_before_it_and_an_action_ends_at_a_list_separator():
    assert figures("为企业提供申报缴费“零次跑”")[0][2] == "为企业提供申报缴费"
    assert [f[2] for f in figures("实行一次告知、一窗受理、限时办结")] == ["告知"]


def test_an_organ_or_realised_time_is_said_of_the_action_that_follows():
    assert cases("涉企事项实现24小时网上受理")[0][1] == "网上受理"
    r = extract_sentence("区行政审批部门24小时答复企业咨询")[0]
    assert (r.measure, r.measure_key) == ("答复企业咨询", None)


def test_a_quoted_class_and_a_named_part_of_the_territory_are_cases():
    assert cases("将“小型园林绿化项目”施工许可办理时间压缩至3个工作日")[0][1:] == ("施工许可办理时间", "小型园林绿化项目")
    assert cases("主城区年均停电时间小于2小时")[0][2] == "主城区"


def test_words_before_a_measure_already_given_narrow_it():
    got = cases("一审民事案件3个月内审结，复杂疑难一审民事案件6个月内审结")
    assert got == [(3.0, "一审民事案件", ""), (6.0, "一审民事案件", "复杂疑难")]
    got = cases("全年培训技能人员2万人次，其中高级技能人员5000人次")
    assert got[1] == (5000.0, "培训技能人员", "高级")


def test_a_list_of_cases_each_with_a_count_closed_by_deng():
    got = cases("重点跟进汽车产业12条、文化旅游5条等重点产业链")
    assert got == [(12.0, "重点产业链", "汽车产业"), (5.0, "重点产业链", "文化旅游")]


def test_a_money_threshold_names_the_items_it_covers_up_to_their_verb():
    assert cases("对年产值5亿元以上的骨干建筑企业进行“一对一”重点服务")[0] == (5e8, "年产值", "骨干建筑企业")


def test_programme_names_brands_and_service_radii_are_names():
    assert [r.kind for r in extract_sentence("围绕“三个年”活动要求推进")] == ["other"]
    assert [r.kind for r in extract_sentence("实施“五名+”工程")] == ["other"]
    assert [r.kind for r in extract_sentence("打造农村20分钟便民服务圈")] == ["other"]


def keyed(sentence: str):
    from qa_service.figures.keys import normalized_measure

    out = []
    for r in extract_sentence(sentence):
        if r.kind == "date":
            continue
        after = sentence[r.end : sentence.find(r.excerpt) + len(r.excerpt)]
        out.append(normalized_measure(r.measure, r.measure_key, r.subcase, r.unit_class, after))
    return out


def test_documents_that_word_one_measure_differently_share_its_key():
    # a share of matters: the matters (folded synonyms) and what is done with them
    assert keyed("全区90%的办税事项实现“网上办”") == keyed("主要涉税事项全程网办率达到95%以上") == ["涉税事项网办率"]
    assert keyed("涉税事项80%以上进驻大厅") != keyed("涉税事项80%以上实现全程网办")
    # where and how firmly are not what: 全市, 平均, 时限 = 时间
    assert keyed("全市破产案件平均审理周期压减至200天") == keyed("破产案件审理周期压减至150天")
    assert keyed("专利审查时限压缩至10个工作日") == keyed("专利审查时间压缩至8个工作日")
    # counts of a quoted programme's matters
    assert keyed("推进8项高频事项“一件事一次办”") == keyed("推出12件“一件事一次办”事项") == ["一件事一次办"]
    # the lexicon's key when it has one
    assert keyed("开办企业时间压减至2个工作日") == ["企业开办"]


def test_conflicts_compare_one_measure_case_unit_and_local_rules_only():
    from qa_service.figures.table import FigureTable, build_rows
    from qa_service.models import Document, Item, Scope

    def doc(i):
        return Document(id=i, title=f"{i}方案", source_file="x", region=i)

    def item(d, n, text, scope=Scope.rule):
        return Item(id=f"{d}:s{n}", doc_id=d, kind="measure", path=[f"{n}."], text=text, source_file="x",
                    line_start=n, line_end=n, scope=scope)

    items = [item("甲", 1, "全区90%的办税事项实现“网上办”。"), item("乙", 1, "主要涉税事项全程网办率达到95%以上。"),
             item("甲", 2, "无外线施工用气报装时限压减至3个工作日。"), item("乙", 2, "有外线用气报装时限压减至8个工作日。"),
             item("丙", 1, "涉税事项全程网办率达到99%。", scope=Scope.other_province),
             item("甲", 3, "年营业收入5亿元以上企业增加3户。"), item("乙", 3, "年营业收入达到8亿元。")]
    groups = FigureTable(build_rows([doc("甲"), doc("乙"), doc("丙")], items)).conflicts()
    assert [(g.measure_key, sorted(r.value for r in g.rows)) for g in groups] == [("涉税事项网办率", [90.0, 95.0])]


def test_a_time_inside_a_relative_clause_is_said_of_the_noun_it_qualifies():
    r = extract_sentence("对歇业的个体户设立单次不超过2年且可延期的“歇业期”")[0]
    assert (r.measure, r.qualifier) == ("歇业期", "单次")


def test_an_organs_step_has_no_case_and_steps_in_brackets_share_their_figures_case():
    r = extract_sentence("审批机关在2个工作日内将简易注销公告信息推送至税务部门")[0]
    assert (r.measure_key, r.subcase) == (None, "")
    got = extract_sentence("无外线用水报装时限压减至3个工作日，有外线用水报装时限压减至8个工作日（其中行政审批2个工作日）")
    assert [(r.value, r.subcase, r.measure_key) for r in got] == [
        (3.0, "无外线工程", "获得用水"), (8.0, "有外线工程", "获得用水"), (2.0, "有外线工程", None)]


def test_a_bare_procedure_time_takes_the_case_named_earlier_in_the_sentence():
    got = cases("梳理政府投资项目审批流程，实行并联审批，全流程审批时限压缩至30个工作日")
    assert got == [(30.0, "全流程审批时限", "政府投资项目")]


def test_a_figure_of_the_same_family_keeps_the_case_before_it():
    got = cases("主城区年平均停电时间小于2小时，年平均停电次数小于2次")
    assert [s for *_, s in got] == ["主城区", "主城区"]
    # another family: no case carried over
    assert [s for *_, s in cases("无外线获得用气时间压减至3个工作日，获得用水时间压减至5个工作日")] == ["无外线工程", ""]


def test_a_threshold_before_a_counted_noun_is_its_case_and_a_grant_is_measured():
    got = cases("年纳税额5000万元以上民营企业增加5户以上")
    assert got[1] == (5.0, "民营企业", "年纳税额5000万元以上")
    assert cases("实现80%以上涉税事项一次办结")[1][2] == ""  # a share is a level, not a threshold
    assert cases("对新建项目给予设备投资额8%、最高不超过50万元的补助")[0][1] == "设备投资额"


def test_an_averaging_word_inside_the_measure_is_its_qualifier():
    # figure_words.toml [inner_qualifiers]: 年均 / 平均 / 首次 say how the figure is taken, not what is measured
    assert described("企业年均办税时间压缩至60小时")[0][2:] == ("企业办税时间", "", "年均")
    assert described("仲裁案件平均审理周期缩短15天")[0][2:] == ("仲裁案件审理周期", "", "平均")
    assert described("对园区企业年度纳税额首次突破5亿元的给予奖励")[0][4] == "首次"
    # two figures of one family under one qualifier keep sharing the first one's case
    got = described("中心城区年平均停水时间小于2小时/户，年平均停水次数小于2次/户")
    assert [r[3] for r in got] == ["中心城区", "中心城区"]


def test_a_narrowing_adjective_before_the_head_is_the_case():
    # figure_words.toml [narrowing_adjectives]: 正常 / 金牌 / X型 pick one grade or type out of a class
    assert described("正常增值税留抵退税办理时间压缩至3个工作日")[0][2:4] == ("增值税留抵退税办理时间", "正常")
    assert described("培育15家金牌调解工作室")[0][2:4] == ("调解工作室", "金牌")
    # a count's case may be named before it
    assert described("支持创新型企业实施“育苗”三个计划")[0][3] == "创新型"
    # the adjective with nothing but a class noun after it is the whole measure, not a case
    assert described("梳理10项正常事项")[0][3] == ""


def test_an_amount_said_of_a_narrowed_class_of_firms_is_that_class_case():
    # figure_words.toml [class_nouns]: the class (with words of its own) is the case, the amount the measure
    got = described("对新落户科技企业年度研发投资突破1亿元的给予奖励")[0]
    assert got[2:4] == ("年度研发投资", "新落户科技企业")
    assert described("企业年度营业收入突破5亿元")[0][3] == ""  # no words of its own: no case
    # a share keeps its counted noun in the measure (eval/README.md convention)
    assert described("重点企业网办率达到90%")[0][3] == ""


def test_yi_is_a_real_count_after_a_choosing_verb_or_before_a_bound():
    # figure_words.toml [choosing_verbs]: 选定一个 says how many are chosen
    assert described("各区要遴选一个镇（街道）开展试点")[0][:3] == (1.0, "个", "镇（街道）")
    # 一名以上: a bound is set on the count; an item of a list is said of what follows it
    assert described("按照一间办公室、一名以上联络员的标准配备")[0][:3] == (1.0, "人", "联络员")
    # elsewhere 一个 stays the article
    assert described("打造一个服务平台") == []


def test_a_week_is_a_length_of_time_unless_it_starts_a_word():
    got = described("整改情况需于通报后两周内报送")
    assert got[0][:2] == (2.0, "其他") and "整改情况" in got[0][2]
    assert described("完善园区周边配套，加强一周年评估") == []


def test_an_approximator_is_the_comparator_not_part_of_the_measure():
    assert figures("联合抽查检查对象占比近10%")[0][2:5] == ("联合抽查检查对象占比", "commitment", "近")
    assert figures("培训人数约3000人")[0][2] == "培训人数"
    # a word that ends in 约 or 近 is no approximator
    assert figures("提前预约1天")[0][2:5] == ("提前预约", "commitment", "")


def test_a_time_naming_its_own_quantity_keeps_no_borrowed_key():
    """Under a heading about connections (提升获得电力能力), a time whose words name another quantity
    (年均停电时间, 故障维修响应时间) is not the connection time; a time naming only the procedure
    (全流程审批时限, 报装时间) still takes the heading's measure."""
    def key(sentence: str, context: str) -> list:
        return [r.measure_key for r in extract_sentence(sentence, context) if r.kind != "date"]

    assert key("用户年均停电时间压减至5个小时以内", "提升获得电力能力") == [None]
    assert key("故障维修响应时间压减至1个小时以内", "压缩用水报装时间") == [None]
    assert key("报装时间压减至3个工作日", "提升获得用水能力") == ["获得用水"]
    assert key("全流程审批时限压缩至6个工作日", "优化工程建设项目审批") == ["工程建设项目审批"]
