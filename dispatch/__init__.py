"""The dispatch side of a PSC 119 (issue 11): ambulance units and their crews, hospital beds, and the
recommendation a dispatcher reads in the minute after answering — which unit to send, to which hospital.

Pure decisions (`units`, `beds`, `recommend`, `travel`) take `now` and their data as arguments; `store`
and `importers` are the database edges. Above `routing` (a caller's location) and below `agi`/`web`.
"""
