"""Vietnam Circular 10/2021/TT-BTNMT station files: one ``.txt`` per measurement, tab-separated lines."""
