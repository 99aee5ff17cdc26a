"""The Streamlit dashboard (``netspace dashboard``): live progress, EDFs, complexity, trends, best networks."""
