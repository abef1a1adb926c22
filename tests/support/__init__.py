"""Helpers every test shares: the hub as its own process (`hub`) and a
workstation, in this process or as the console's command line (`workstation`)."""
