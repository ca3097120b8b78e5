"""Small articles written for the tests (not taken from any corpus)."""

HARBOUR = """date 2025-03-02 Portsmouth:
The city council voted on Tuesday to rebuild the old harbour wall, ending a dispute that has divided local fishermen and shop owners for almost ten years.

Engineers told the council that the wall, built in 1887, could fail in a single winter storm, and that repairs would cost far more than a new structure over the coming decade.

The plan will cost 42 million pounds, most of it borrowed against future port fees, and work is due to begin in the autumn once the fishing season has ended.

Several fishermen said they welcomed the decision but feared that months of construction would keep their boats out of the inner basin during the busiest weeks.

The council leader, Maria Ellison, said the town could not afford to wait for another flood before acting, and promised regular meetings with the harbour users.
"""

HARBOUR_REPRINT = """Council backs harbour rebuild

The city council voted on Tuesday to rebuild the old harbour wall, ending a dispute that has divided local fishermen and shop owners for almost ten years.

Engineers told the council that the wall, built in 1887, could fail in a single winter storm, and that repairs would cost far more than a new structure over the coming decade.

The plan will cost 42 million pounds, most of it borrowed against future port fees, and work is due to begin in the autumn once the fishing season has ended.

Several fishermen said they welcomed the decision but feared that months of construction would keep their boats out of the inner basin during the busiest weeks.

The council leader, Maria Ellison, said the town could not afford to wait for another flood before acting, and promised regular meetings with the harbour users.

Sign up for our newsletter to get the day's top stories.
"""

ORCHARD = """date 2025-03-03 Hereford:
Apple growers in the county expect a smaller harvest this year after a late frost damaged blossom across most of the older orchards in the valley.

A survey of forty farms found that about a third of the trees had lost most of their flowers in the cold snap, with the worst losses on low ground near the river.

Cider makers said prices were likely to rise, although several larger producers have stored enough juice from last year to keep their bottling lines running until spring.

Growers are asking the regional agency for help with new frost fans, which cost several thousand pounds each and can protect a whole field on a still night.
"""
