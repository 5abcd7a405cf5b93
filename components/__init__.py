"""Figure builders (data in, plotly figure out) and the widgets every panel shares."""
