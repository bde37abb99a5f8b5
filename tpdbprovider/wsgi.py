import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from tpdbprovider.env import check_staff_credentials

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tpdbprovider.settings.production")
application = get_wsgi_application()
if not settings.DEBUG:
    check_staff_credentials()  # a weak staff password in the database stops start-up, naming the user
