"""nbgrader configuration of every user server on Kubernetes: /etc/jupyter/nbgrader_config.py
in the image of deploy/kubernetes/Dockerfile.  The values are those of deploy/hub/hub.toml
(tests/test_kubernetes.py checks it).

Students fetch and submit through the exchange, a volume shared by every server
(deploy/kubernetes/exchange-pvc.yaml); nbgrader asks the hub for the user's groups
(nbgrader-<course_id> for students, formgrade-<course_id> for instructors) to decide who
belongs to the course.
"""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "dlphys"
c.Exchange.root = "/srv/nbgrader/exchange"
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
