"""HTTP plumbing shared by the pages and the API: security headers and allowed origins."""
