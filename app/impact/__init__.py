"""The anonymous impact report: counting public use without tracking, the callback funnel, the
figures made safe to share, the report page's data and its CSV and JSON exports."""
