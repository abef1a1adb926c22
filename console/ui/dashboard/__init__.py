"""The supervisor's dashboard, composed of its tabs: overview, breakdowns, queues, audit and reports."""
