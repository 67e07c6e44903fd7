"""Train on your own store: read a store's event log and catalog (CSV or JSON Lines), validate, split, train within
a time budget, export the browser's model folder, evaluate it against baselines and write a report.

    /usr/bin/python3 -m training.store --events E --catalog C --out DIR      # see docs/own-data.md
"""
