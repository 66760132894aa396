"""The staffing page and `/api/staffing`: each desk's operators needed (Erlang C) beside its roster."""
