"""report.html: placeholder replaced below."""
